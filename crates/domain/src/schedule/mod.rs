//! Recurrence of Brity reservations (scheduled jobs): the rule a reservation states, checked
//! and expanded into occurrences over an IANA time zone, with rest days (anniversaries)
//! skipped. Pure: the store loads the rule and the rest days, this decides the times.
//! See docs/dialects/brity.md, "Reservations".
