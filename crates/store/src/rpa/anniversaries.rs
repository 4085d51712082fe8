//! Anniversaries: the organization's calendar of named days, some of them rest days that reservations may skip.
