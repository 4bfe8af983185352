//! Where an outgoing email stands: it waits to be sent (`pending`, retried with backoff), was
//! sent, or was given up on (`failed`) after too many attempts and left for an admin.

str_enum!(
    /// The state of a message in the email outbox.
    OutboxStatus {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
);
