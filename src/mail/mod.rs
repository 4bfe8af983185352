//! Emails: what each message says (askama templates under `templates/emails/`, in the
//! recipient's language) and how it leaves (SMTP or `.eml` files).

pub mod transport;

use askama::Template;

use crate::domain::outbox::MailKind;
use crate::i18n::{tf, Lang, Tr};

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to_email: String,
    pub to_name: String,
    pub kind: MailKind,
    pub subject: String,
    pub body: String,
    /// The bureau the message is sent for: the worker caps each bureau's sending rate
    /// (`mail_per_minute_per_bureau`). `None` (account emails and the like) is capped as
    /// one group of its own.
    pub bureau_id: Option<i64>,
}

impl Outgoing {
    /// The message, sent for `bureau_id`.
    pub fn for_bureau(mut self, bureau_id: i64) -> Self {
        self.bureau_id = Some(bureau_id);
        self
    }
}

/// Who gets a message, and in which language.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub lang: Lang,
}

impl Recipient {
    pub fn new(email: &str, name: &str, locale: &str) -> Self {
        Recipient {
            email: email.to_string(),
            name: name.to_string(),
            lang: Lang::parse(locale).unwrap_or_default(),
        }
    }
}

fn build(
    to: &Recipient,
    kind: MailKind,
    subject_args: &[(&str, String)],
    body: Result<String, askama::Error>,
) -> Outgoing {
    Outgoing {
        to_email: to.email.clone(),
        to_name: to.name.clone(),
        kind,
        subject: tf(to.lang, &kind.subject_key(), subject_args),
        body: body.unwrap_or_else(|e| format!("(template error: {e})")),
        bureau_id: None,
    }
}

#[derive(Template)]
#[template(path = "emails/link.txt")]
struct LinkEmail<'a> {
    tr: Tr,
    to_name: &'a str,
    intro: String,
    link: &'a str,
    expires_key: &'static str,
    base_url: &'a str,
}

#[derive(Template)]
#[template(path = "emails/notice.txt")]
struct NoticeEmail<'a> {
    tr: Tr,
    to_name: &'a str,
    lines: Vec<String>,
    link: &'a str,
    base_url: &'a str,
}

/// Confirm the address given at sign-up.
pub fn verify_email(to: &Recipient, link: &str, base_url: &str) -> Outgoing {
    let body = LinkEmail {
        tr: Tr(to.lang),
        to_name: &to.name,
        intro: tf(to.lang, "email.verify_email.intro", &[]),
        link,
        expires_key: "email.expires_3_days",
        base_url,
    }
    .render();
    build(to, MailKind::VerifyEmail, &[], body)
}

/// An invitation to set a password and join (as staff, or into an organization).
pub fn invite(
    to: &Recipient,
    inviter: &str,
    role_key: &str,
    org: Option<&str>,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let role = crate::i18n::t(to.lang, role_key).to_string();
    let intro = match org {
        Some(org) => tf(
            to.lang,
            "email.invite.intro_org",
            &[
                ("inviter", inviter.into()),
                ("role", role),
                ("org", org.into()),
            ],
        ),
        None => tf(
            to.lang,
            "email.invite.intro",
            &[("inviter", inviter.into()), ("role", role)],
        ),
    };
    let body = LinkEmail {
        tr: Tr(to.lang),
        to_name: &to.name,
        intro,
        link,
        expires_key: "email.expires_7_days",
        base_url,
    }
    .render();
    build(to, MailKind::Invite, &[], body)
}

pub fn reset_password(to: &Recipient, link: &str, base_url: &str) -> Outgoing {
    let body = LinkEmail {
        tr: Tr(to.lang),
        to_name: &to.name,
        intro: tf(to.lang, "email.reset_password.intro", &[]),
        link,
        expires_key: "email.expires_2_hours",
        base_url,
    }
    .render();
    build(to, MailKind::ResetPassword, &[], body)
}

fn notice(
    to: &Recipient,
    kind: MailKind,
    args: &[(&str, String)],
    extra: Vec<String>,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let mut lines = vec![tf(to.lang, &kind.intro_key(), args)];
    lines.extend(extra);
    let body = NoticeEmail {
        tr: Tr(to.lang),
        to_name: &to.name,
        lines,
        link,
        base_url,
    }
    .render();
    build(to, kind, args, body)
}

/// Someone signed up with the address of an existing account: a password-reset link for an
/// active account (`reset_link`), else the sign-in page.
pub fn account_exists(to: &Recipient, reset_link: Option<&str>, base_url: &str) -> Outgoing {
    let (line, link) = match reset_link {
        Some(l) => ("email.account_exists.reset", l.to_string()),
        None => ("email.account_exists.sign_in", format!("{base_url}/login")),
    };
    notice(
        to,
        MailKind::AccountExists,
        &[],
        vec![tf(to.lang, line, &[])],
        &link,
        base_url,
    )
}

/// The link that makes a filed objection count, to the person who filed it.
pub fn objection_confirm(
    to: &Recipient,
    number: &str,
    round: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [("number", number.to_string()), ("round", round.to_string())];
    let extra = vec![tf(to.lang, "email.objection_confirm.expires", &[])];
    notice(to, MailKind::ObjectionConfirm, &args, extra, link, base_url)
}

pub fn password_changed(to: &Recipient, base_url: &str) -> Outgoing {
    notice(
        to,
        MailKind::PasswordChanged,
        &[],
        vec![],
        &format!("{base_url}/password/forgot"),
        base_url,
    )
}

pub fn org_submitted(to: &Recipient, org: &str, link: &str, base_url: &str) -> Outgoing {
    notice(
        to,
        MailKind::OrgSubmitted,
        &[("org", org.into())],
        vec![],
        link,
        base_url,
    )
}

pub fn org_verified(to: &Recipient, org: &str, link: &str, base_url: &str) -> Outgoing {
    notice(
        to,
        MailKind::OrgVerified,
        &[("org", org.into())],
        vec![],
        link,
        base_url,
    )
}

pub fn org_rejected(
    to: &Recipient,
    org: &str,
    reason: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let extra = vec![tf(to.lang, "email.reason", &[("reason", reason.into())])];
    notice(
        to,
        MailKind::OrgRejected,
        &[("org", org.into())],
        extra,
        link,
        base_url,
    )
}

/// A new call for proposals opened.
pub fn round_opened(
    to: &Recipient,
    bureau: &str,
    title: &str,
    closes: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let extra = vec![tf(
        to.lang,
        "email.round_opened.deadline",
        &[("closes", closes.into())],
    )];
    notice(
        to,
        MailKind::RoundOpened,
        &[("bureau", bureau.into()), ("title", title.into())],
        extra,
        link,
        base_url,
    )
}

/// The receipt of a submitted proposal.
pub fn proposal_received(
    to: &Recipient,
    number: &str,
    title: &str,
    round: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("number", number.to_string()),
        ("title", title.to_string()),
        ("round", round.to_string()),
    ];
    let extra = vec![tf(to.lang, "email.proposal_received.next", &[])];
    notice(to, MailKind::ProposalReceived, &args, extra, link, base_url)
}

/// The screening outcome of a proposal.
#[allow(clippy::too_many_arguments)]
pub fn proposal_screened(
    to: &Recipient,
    number: &str,
    title: &str,
    round: &str,
    eligible: bool,
    reason: Option<&str>,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("number", number.to_string()),
        ("title", title.to_string()),
        ("round", round.to_string()),
    ];
    let kind = if eligible {
        MailKind::ProposalEligible
    } else {
        MailKind::ProposalIneligible
    };
    let extra = reason
        .map(|r| vec![tf(to.lang, "email.reason", &[("reason", r.into())])])
        .unwrap_or_default();
    notice(to, kind, &args, extra, link, base_url)
}

/// A proposal returned for correction (退回补正).
pub fn proposal_returned(
    to: &Recipient,
    number: &str,
    title: &str,
    comment: &str,
    deadline: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [("number", number.to_string()), ("title", title.to_string())];
    let extra = vec![
        tf(
            to.lang,
            "email.proposal_returned.comment",
            &[("comment", comment.into())],
        ),
        tf(
            to.lang,
            "email.proposal_returned.deadline",
            &[("deadline", deadline.into())],
        ),
    ];
    notice(to, MailKind::ProposalReturned, &args, extra, link, base_url)
}

/// The organization may not apply to a bureau's rounds until a date.
pub fn org_barred(
    to: &Recipient,
    org: &str,
    bureau: &str,
    until: &str,
    reason: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("org", org.to_string()),
        ("bureau", bureau.to_string()),
        ("until", until.to_string()),
    ];
    let extra = vec![tf(to.lang, "email.reason", &[("reason", reason.into())])];
    notice(to, MailKind::OrgBarred, &args, extra, link, base_url)
}

/// A round's application deadline moved.
pub fn deadline_moved(
    to: &Recipient,
    round: &str,
    closes: &str,
    reason: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [("round", round.to_string()), ("closes", closes.to_string())];
    let extra = vec![tf(to.lang, "email.reason", &[("reason", reason.into())])];
    notice(to, MailKind::DeadlineMoved, &args, extra, link, base_url)
}

/// Proposals were assigned to a reviewer, with the round's review deadline when it has one.
pub fn reviews_assigned(
    to: &Recipient,
    count: usize,
    round: &str,
    due: Option<chrono::NaiveDateTime>,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let extra = due
        .map(|d| {
            let due = crate::domain::calendar::format_deadline(d);
            vec![tf(to.lang, "email.reviews_assigned.due", &[("due", due)])]
        })
        .unwrap_or_default();
    notice(
        to,
        MailKind::ReviewsAssigned,
        &[("count", count.to_string()), ("round", round.to_string())],
        extra,
        link,
        base_url,
    )
}

/// An officer reopened a submitted review.
pub fn review_reopened(
    to: &Recipient,
    round: &str,
    reason: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let extra = vec![tf(to.lang, "email.reason", &[("reason", reason.into())])];
    notice(
        to,
        MailKind::ReviewReopened,
        &[("round", round.to_string())],
        extra,
        link,
        base_url,
    )
}

/// A review is due soon, or overdue.
pub fn review_reminder(
    to: &Recipient,
    round: &str,
    due: &str,
    overdue: bool,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let kind = if overdue {
        MailKind::ReviewOverdue
    } else {
        MailKind::ReviewDueSoon
    };
    notice(
        to,
        kind,
        &[("round", round.to_string()), ("due", due.to_string())],
        vec![],
        link,
        base_url,
    )
}

/// A proposal is on the public notice list (拟资助项目公示).
pub fn proposal_on_notice(
    to: &Recipient,
    number: &str,
    title: &str,
    amount: &str,
    ends: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    listed_on_notice(
        MailKind::ProposalOnNotice,
        to,
        [number, title, amount, ends],
        link,
        base_url,
    )
}

/// A proposal on a notice list: `[number, title, amount, ends]` (`ends` blank when the
/// message names no end).
fn listed_on_notice(
    kind: MailKind,
    to: &Recipient,
    [number, title, amount, ends]: [&str; 4],
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("number", number.to_string()),
        ("title", title.to_string()),
        ("amount", amount.to_string()),
        ("ends", ends.to_string()),
    ];
    notice(to, kind, &args, vec![], link, base_url)
}

/// A proposal brought onto the list from the waitlist (递补) while the round has a
/// supplementary notice (补充公示): its grant and when that notice ends.
pub fn supplementary_notice(
    to: &Recipient,
    number: &str,
    title: &str,
    amount: &str,
    ends: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    listed_on_notice(
        MailKind::SupplementaryNotice,
        to,
        [number, title, amount, ends],
        link,
        base_url,
    )
}

/// A grant funded in part grows after a proposal above the waitlist left the list: its new
/// amount.
pub fn award_increased(
    to: &Recipient,
    number: &str,
    title: &str,
    amount: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    listed_on_notice(
        MailKind::AwardIncreased,
        to,
        [number, title, amount, ""],
        link,
        base_url,
    )
}

/// Receipt of an objection, to the person who filed it.
pub fn objection_received(
    to: &Recipient,
    number: &str,
    round: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [("number", number.to_string()), ("round", round.to_string())];
    notice(
        to,
        MailKind::ObjectionReceived,
        &args,
        vec![],
        link,
        base_url,
    )
}

/// A new objection, to the officers of the round's bureau.
pub fn objection_filed(
    to: &Recipient,
    number: &str,
    round: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [("number", number.to_string()), ("round", round.to_string())];
    notice(to, MailKind::ObjectionFiled, &args, vec![], link, base_url)
}

/// The answer to an objection, to the person who filed it.
pub fn objection_answered(
    to: &Recipient,
    number: &str,
    upheld: bool,
    response: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let kind = if upheld {
        MailKind::ObjectionUpheld
    } else {
        MailKind::ObjectionRejected
    };
    let extra = vec![tf(
        to.lang,
        "email.response",
        &[("response", response.into())],
    )];
    notice(
        to,
        kind,
        &[("number", number.to_string())],
        extra,
        link,
        base_url,
    )
}

/// A proposal taken off the notice list after an upheld objection, or brought onto it from
/// the waitlist (递补).
pub fn award_changed(
    to: &Recipient,
    number: &str,
    title: &str,
    removed: bool,
    detail: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let kind = if removed {
        MailKind::AwardRemoved
    } else {
        MailKind::AwardSubstituted
    };
    let args = [("number", number.to_string()), ("title", title.to_string())];
    let extra = if removed {
        vec![tf(
            to.lang,
            "email.response",
            &[("response", detail.into())],
        )]
    } else {
        vec![tf(
            to.lang,
            "email.award_substituted.amount",
            &[("amount", detail.into())],
        )]
    };
    notice(to, kind, &args, extra, link, base_url)
}

/// The project was awarded: links to the award notice and the agreement.
#[allow(clippy::too_many_arguments)]
pub fn awarded(
    to: &Recipient,
    number: &str,
    title: &str,
    agreement_no: &str,
    amount: &str,
    notice_link: &str,
    agreement_link: &str,
    sign_by: chrono::NaiveDate,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("number", number.to_string()),
        ("title", title.to_string()),
        ("agreement_no", agreement_no.to_string()),
        ("amount", amount.to_string()),
    ];
    let extra = vec![
        tf(
            to.lang,
            "email.awarded.notice_pdf",
            &[("link", notice_link.into())],
        ),
        tf(
            to.lang,
            "email.awarded.agreement_pdf",
            &[("link", agreement_link.into())],
        ),
        tf(
            to.lang,
            "email.awarded.next",
            &[
                (
                    "days",
                    crate::domain::award::SIGNING_WORKING_DAYS.to_string(),
                ),
                ("date", sign_by.to_string()),
            ],
        ),
    ];
    notice(to, MailKind::Awarded, &args, extra, link, base_url)
}

/// The proposal was not funded: its score, its rank and the reviewers' comments, without
/// their names.
#[allow(clippy::too_many_arguments)]
pub fn not_awarded(
    to: &Recipient,
    number: &str,
    title: &str,
    score: &str,
    rank: &str,
    outcome_key: &str,
    comments: &[String],
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("number", number.to_string()),
        ("title", title.to_string()),
        ("score", score.to_string()),
        ("rank", rank.to_string()),
    ];
    let mut extra = vec![tf(to.lang, outcome_key, &[])];
    if !comments.is_empty() {
        extra.push(tf(to.lang, "email.not_awarded.comments", &[]));
        for (i, c) in comments.iter().enumerate() {
            extra.push(tf(
                to.lang,
                "email.not_awarded.comment",
                &[("n", (i + 1).to_string()), ("comment", c.clone())],
            ));
        }
    }
    notice(to, MailKind::NotAwarded, &args, extra, link, base_url)
}

/// The signed agreement was recorded; the first tranche can be paid.
pub fn agreement_recorded(
    to: &Recipient,
    agreement_no: &str,
    title: &str,
    released: usize,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("title", title.to_string()),
        ("released", released.to_string()),
    ];
    notice(
        to,
        MailKind::AgreementRecorded,
        &args,
        vec![],
        link,
        base_url,
    )
}

/// What a change-request email says: the project, the kind of change (in the recipient's
/// language), and a link to the request.
pub struct ChangeMail<'a> {
    pub agreement_no: &'a str,
    pub title: &'a str,
    pub org: &'a str,
    pub kind: crate::domain::change::ChangeKind,
    pub link: &'a str,
}

/// A change request (项目变更) was filed (to the officers), applied at once (officers),
/// decided (the organization, with the outcome and the reason) or withdrawn (officers).
pub fn change_notice(
    to: &Recipient,
    mail_kind: MailKind,
    m: &ChangeMail,
    outcome: Option<crate::domain::change::ChangeStatus>,
    reason: Option<&str>,
    base_url: &str,
) -> Outgoing {
    let mut args = vec![
        ("agreement_no", m.agreement_no.to_string()),
        ("title", m.title.to_string()),
        ("org", m.org.to_string()),
        (
            "kind",
            crate::i18n::t(to.lang, m.kind.label_key()).to_string(),
        ),
    ];
    if let Some(o) = outcome {
        args.push((
            "outcome",
            crate::i18n::t(to.lang, o.label_key()).to_string(),
        ));
    }
    let extra = reason
        .filter(|r| !r.trim().is_empty())
        .map(|r| {
            vec![tf(
                to.lang,
                "email.change_decided.reason",
                &[("reason", r.to_string())],
            )]
        })
        .unwrap_or_default();
    notice(to, mail_kind, &args, extra, m.link, base_url)
}

/// A payment of a tranche was recorded.
pub fn payment_recorded(
    to: &Recipient,
    agreement_no: &str,
    seq: i32,
    amount: &str,
    paid_on: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("seq", seq.to_string()),
        ("amount", amount.to_string()),
        ("paid_on", paid_on.to_string()),
    ];
    notice(to, MailKind::PaymentRecorded, &args, vec![], link, base_url)
}

/// A progress report was submitted, to the bureau's officers.
pub fn report_submitted(
    to: &Recipient,
    agreement_no: &str,
    org: &str,
    period_end: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("org", org.to_string()),
        ("period_end", period_end.to_string()),
    ];
    notice(to, MailKind::ReportSubmitted, &args, vec![], link, base_url)
}

/// A supervision visit (督导) was scheduled or recorded, or one of its findings answered,
/// closed or reopened: the kind's first line with `args`, and the visit's page.
pub fn visit_notice(
    to: &Recipient,
    kind: MailKind,
    args: &[(&str, String)],
    link: &str,
    base_url: &str,
) -> Outgoing {
    notice(to, kind, args, vec![], link, base_url)
}

/// A progress report was accepted, or returned with comments.
pub fn report_reviewed(
    to: &Recipient,
    agreement_no: &str,
    period_end: &str,
    accepted: bool,
    comment: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let kind = if accepted {
        MailKind::ReportAccepted
    } else {
        MailKind::ReportReturned
    };
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("period_end", period_end.to_string()),
    ];
    let extra = if comment.is_empty() {
        vec![]
    } else {
        vec![tf(to.lang, "email.comment", &[("comment", comment.into())])]
    };
    notice(to, kind, &args, extra, link, base_url)
}

/// A milestone report is due soon, or overdue.
pub fn report_reminder(
    to: &Recipient,
    agreement_no: &str,
    milestone: &str,
    due: &str,
    overdue: bool,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let kind = if overdue {
        MailKind::ReportOverdue
    } else {
        MailKind::ReportDueSoon
    };
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("milestone", milestone.to_string()),
        ("due", due.to_string()),
    ];
    notice(to, kind, &args, vec![], link, base_url)
}

/// An evaluation was assigned to an evaluator.
pub fn evaluation_assigned(
    to: &Recipient,
    agreement_no: &str,
    title: &str,
    stage: &str,
    due: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("title", title.to_string()),
        ("stage", stage.to_string()),
        ("due", due.to_string()),
    ];
    notice(
        to,
        MailKind::EvaluationAssigned,
        &args,
        vec![],
        link,
        base_url,
    )
}

/// An evaluation was filed, to the bureau's officers.
pub fn evaluation_submitted(
    to: &Recipient,
    agreement_no: &str,
    agency: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("agency", agency.to_string()),
    ];
    notice(
        to,
        MailKind::EvaluationSubmitted,
        &args,
        vec![],
        link,
        base_url,
    )
}

/// An evaluation was returned to the evaluator.
pub fn evaluation_returned(
    to: &Recipient,
    agreement_no: &str,
    comment: &str,
    due: chrono::NaiveDate,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let extra = vec![
        tf(to.lang, "email.comment", &[("comment", comment.into())]),
        tf(
            to.lang,
            "email.evaluation_returned.due",
            &[("due", due.to_string())],
        ),
    ];
    notice(
        to,
        MailKind::EvaluationReturned,
        &[("agreement_no", agreement_no.to_string())],
        extra,
        link,
        base_url,
    )
}

/// An evaluation was accepted, to the evaluator.
pub fn evaluation_accepted(
    to: &Recipient,
    agreement_no: &str,
    grade: &str,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("grade", grade.to_string()),
    ];
    notice(
        to,
        MailKind::EvaluationAccepted,
        &args,
        vec![],
        link,
        base_url,
    )
}

/// The result of an evaluation and what follows, to the NGO.
#[allow(clippy::too_many_arguments)]
pub fn evaluation_result(
    to: &Recipient,
    agreement_no: &str,
    stage: &str,
    grade: &str,
    score: &str,
    consequence: &str,
    override_reason: Option<&str>,
    rectify_until: Option<&str>,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("stage", stage.to_string()),
        ("grade", grade.to_string()),
        ("score", score.to_string()),
        ("consequence", consequence.to_string()),
    ];
    let mut extra = Vec::new();
    if let Some(d) = rectify_until {
        extra.push(tf(
            to.lang,
            "email.evaluation_result.rectify_until",
            &[("date", d.into())],
        ));
    }
    if let Some(r) = override_reason {
        extra.push(tf(to.lang, "email.reason", &[("reason", r.into())]));
    }
    notice(to, MailKind::EvaluationResult, &args, extra, link, base_url)
}

/// An evaluation is due soon, or overdue.
pub fn evaluation_reminder(
    to: &Recipient,
    agreement_no: &str,
    due: &str,
    overdue: bool,
    link: &str,
    base_url: &str,
) -> Outgoing {
    let kind = if overdue {
        MailKind::EvaluationOverdue
    } else {
        MailKind::EvaluationDueSoon
    };
    let args = [
        ("agreement_no", agreement_no.to_string()),
        ("due", due.to_string()),
    ];
    notice(to, kind, &args, vec![], link, base_url)
}

/// One reminder listed in a digest.
#[derive(Debug, Clone)]
pub struct DigestItem {
    /// The locale key of what is due: `email.reminder_digest.review`, `.report` or
    /// `.evaluation`.
    pub what_key: &'static str,
    /// What it is about, e.g. the proposal title or `XY-2026-0001 · 第一次活动`.
    pub title: String,
    pub due: String,
    pub overdue: bool,
    pub link: String,
}

/// Several reminders for one recipient in one email, one entry per item (what, title, due
/// date, link).
pub fn reminder_digest(to: &Recipient, items: &[DigestItem], base_url: &str) -> Outgoing {
    let lines = items
        .iter()
        .map(|i| {
            let key = if i.overdue {
                "email.reminder_digest.item_overdue"
            } else {
                "email.reminder_digest.item_due_soon"
            };
            let line = tf(
                to.lang,
                key,
                &[
                    ("what", crate::i18n::t(to.lang, i.what_key).to_string()),
                    ("title", i.title.clone()),
                    ("due", i.due.clone()),
                ],
            );
            format!("- {line}\n  {}", i.link)
        })
        .collect();
    notice(
        to,
        MailKind::ReminderDigest,
        &[("count", items.len().to_string())],
        lines,
        base_url,
        base_url,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_come_in_the_recipients_language() {
        let zh = verify_email(
            &Recipient::new("a@example.org", "李明", "zh-CN"),
            "http://x/verify?t=1",
            "http://x",
        );
        let en = verify_email(
            &Recipient::new("a@example.org", "Li Ming", "en"),
            "http://x/verify?t=1",
            "http://x",
        );
        assert!(zh.subject.contains("验证"), "{}", zh.subject);
        assert!(
            en.subject.to_lowercase().contains("confirm"),
            "{}",
            en.subject
        );
        assert!(zh.body.contains("李明") && zh.body.contains("http://x/verify?t=1"));
        assert!(en.body.contains("Li Ming") && en.body.contains("http://x/verify?t=1"));
    }

    #[test]
    fn rejection_carries_the_reason() {
        let m = org_rejected(
            &Recipient::new("a@example.org", "王芳", "zh-CN"),
            "阳光社工",
            "登记证书模糊",
            "http://x/orgs/1",
            "http://x",
        );
        assert!(m.subject.contains("阳光社工"));
        assert!(m.body.contains("登记证书模糊"));
    }
}
