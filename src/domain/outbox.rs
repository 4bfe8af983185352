//! Where an outgoing email stands: it waits to be sent (`pending`, retried with backoff), was
//! sent, or was given up on (`failed`) after too many attempts and left for an admin; and what
//! each message is about (its kind).

str_enum!(
    /// The state of a message in the email outbox.
    OutboxStatus {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
);

str_enum!(
    /// What an email is about: names its subject and first line (`email.<kind>.subject`,
    /// `email.<kind>.intro`) and its `.eml` file.
    MailKind {
        VerifyEmail = "verify_email",
        Invite = "invite",
        ResetPassword = "reset_password",
        AccountExists = "account_exists",
        PasswordChanged = "password_changed",
        ObjectionConfirm = "objection_confirm",
        OrgSubmitted = "org_submitted",
        OrgVerified = "org_verified",
        OrgRejected = "org_rejected",
        OrgBarred = "org_barred",
        RoundOpened = "round_opened",
        DeadlineMoved = "deadline_moved",
        ProposalReceived = "proposal_received",
        ProposalEligible = "proposal_eligible",
        ProposalIneligible = "proposal_ineligible",
        ProposalReturned = "proposal_returned",
        ReviewsAssigned = "reviews_assigned",
        ReviewReopened = "review_reopened",
        ReviewDueSoon = "review_due_soon",
        ReviewOverdue = "review_overdue",
        ProposalOnNotice = "proposal_on_notice",
        ObjectionReceived = "objection_received",
        ObjectionFiled = "objection_filed",
        ObjectionUpheld = "objection_upheld",
        ObjectionRejected = "objection_rejected",
        AwardRemoved = "award_removed",
        AwardSubstituted = "award_substituted",
        SupplementaryNotice = "supplementary_notice",
        AwardIncreased = "award_increased",
        Awarded = "awarded",
        NotAwarded = "not_awarded",
        AgreementRecorded = "agreement_recorded",
        PaymentRecorded = "payment_recorded",
        ReportSubmitted = "report_submitted",
        ReportAccepted = "report_accepted",
        ReportReturned = "report_returned",
        ReportDueSoon = "report_due_soon",
        ReportOverdue = "report_overdue",
        EvaluationAssigned = "evaluation_assigned",
        EvaluationSubmitted = "evaluation_submitted",
        EvaluationReturned = "evaluation_returned",
        EvaluationAccepted = "evaluation_accepted",
        EvaluationResult = "evaluation_result",
        EvaluationDueSoon = "evaluation_due_soon",
        EvaluationOverdue = "evaluation_overdue",
        ReminderDigest = "reminder_digest",
        VisitScheduled = "visit_scheduled",
        VisitRecorded = "visit_recorded",
        FindingResponded = "finding_responded",
        FindingClosed = "finding_closed",
        FindingReopened = "finding_reopened",
        ChangeFiled = "change_filed",
        ChangeApplied = "change_applied",
        ChangeDecided = "change_decided",
        ChangeWithdrawn = "change_withdrawn",
    }
);

impl MailKind {
    /// Locale key of the subject line.
    pub fn subject_key(self) -> String {
        format!("email.{}.subject", self.as_str())
    }

    /// Locale key of the message's first line.
    pub fn intro_key(self) -> String {
        format!("email.{}.intro", self.as_str())
    }

    /// The email carries a one-time link (verify an address, accept an invitation, reset a
    /// password, confirm an objection): only the mailbox holds its text, the in-app message
    /// (站内消息) shows the subject alone.
    pub fn carries_secret(self) -> bool {
        matches!(
            self,
            MailKind::VerifyEmail
                | MailKind::Invite
                | MailKind::ResetPassword
                | MailKind::AccountExists
                | MailKind::ObjectionConfirm
        )
    }
}
