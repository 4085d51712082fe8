//! Reservations (Brity's scheduled jobs): create, modify, delete and the list with its next occurrence.
