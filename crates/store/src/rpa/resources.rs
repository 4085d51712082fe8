//! Shared resources (strings and files) and credentials, secure values sealed at rest.
