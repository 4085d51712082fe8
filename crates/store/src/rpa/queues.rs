//! Message queues: durable, expiring messages, each popped by exactly one consumer.
