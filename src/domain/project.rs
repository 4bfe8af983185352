//! Projects (项目执行): the life of a funded project (DESIGN §2) and which moves it allows.

use crate::error::AppError;
use crate::i18n::Msg;

str_enum!(
    /// Why a project needs the bureau's attention (the projects overview flags it, counts it
    /// and filters by it; labels: `Trouble.*`).
    Trouble {
        OverdueReports = "overdue_reports",
        Overspent = "overspent",
        Rectifying = "rectifying",
        Terminated = "terminated",
        FailedEvaluation = "failed_evaluation",
        WithheldTranche = "withheld_tranche",
        /// A visit's finding required rectification (整改) by a date that passed unanswered.
        OverdueRectification = "overdue_rectification",
    }
);

/// A project's troubles, in [`Trouble::ALL`] order: a milestone report overdue, a budget line
/// overspent, in rectification, terminated, failed its final evaluation, a tranche withheld,
/// a visit's required rectification overdue.
pub fn troubles(
    status: ProjectStatus,
    overdue_reports: usize,
    overspent_lines: usize,
    tranche_withheld: bool,
    rectification_overdue: bool,
) -> Vec<Trouble> {
    Trouble::ALL
        .iter()
        .copied()
        .filter(|t| match t {
            Trouble::OverdueReports => overdue_reports > 0 && status.running(),
            Trouble::Overspent => overspent_lines > 0,
            Trouble::Rectifying => status == ProjectStatus::Rectifying,
            Trouble::Terminated => status == ProjectStatus::Terminated,
            Trouble::FailedEvaluation => status == ProjectStatus::Failed,
            Trouble::WithheldTranche => tranche_withheld,
            Trouble::OverdueRectification => rectification_overdue,
        })
        .collect()
}

str_enum!(
    /// What a file of a project is (labels: `project_file.*`).
    ProjectFileKind {
        SignedAgreement = "signed_agreement",
        Evidence = "evidence",
        EvaluationReport = "evaluation_report",
        /// A photo taken on a supervision visit (督导).
        VisitPhoto = "visit_photo",
        /// A file the organization attached to its response to a visit's finding.
        FindingResponse = "finding_response",
        /// An attachment of a change request (项目变更).
        ChangeAttachment = "change_attachment",
    }
);

str_enum!(
    /// The life of a project: `active ◄─► rectifying ─► completed | terminated | failed`.
    /// `failed` is a project whose final evaluation did not pass: it has ended, its last
    /// tranche is withheld and its organization is barred (DESIGN §2.6).
    ProjectStatus {
        Active = "active",
        Rectifying = "rectifying",
        Completed = "completed",
        Terminated = "terminated",
        Failed = "failed",
    }
);

str_enum!(
    /// A refund line: `owed` (set at termination) or `paid` (recorded by the officer).
    RefundKind { Owed = "owed", Paid = "paid" }
);

impl ProjectStatus {
    /// The project still runs (reports and evaluations may be filed).
    pub fn running(self) -> bool {
        matches!(self, ProjectStatus::Active | ProjectStatus::Rectifying)
    }

    /// Whether a project may move from `self` to `to`. Ended projects never move; a running
    /// one may go to rectification and back, or end in any way.
    pub fn can_transition(self, to: ProjectStatus) -> bool {
        use ProjectStatus::*;
        matches!(
            (self, to),
            (Active, Active)
                | (Active, Rectifying)
                | (Rectifying, Active)
                | (Rectifying, Rectifying)
                | (Active | Rectifying, Completed | Terminated | Failed)
        )
    }

    /// `to`, if the move is allowed; otherwise a conflict naming both states.
    pub fn transition(self, to: ProjectStatus) -> Result<ProjectStatus, AppError> {
        if self.can_transition(to) {
            Ok(to)
        } else {
            Err(AppError::Conflict(
                Msg::new("error.project_transition")
                    .arg("from", self.as_str())
                    .arg("to", to.as_str()),
            ))
        }
    }
}

str_enum!(
    /// A document the bureau issues for a project. What a version says is fixed when it is
    /// issued; the award notice and the agreement are issued once (at finalising), the
    /// completion certificate at completion and again, as a new version, when a payment
    /// changes what it states.
    DocumentKind {
        AwardNotice = "award_notice",
        Agreement = "agreement",
        CompletionCertificate = "completion_certificate",
        /// A supplement agreement (补充协议) of an applied change request; one version each.
        Supplement = "supplement",
        /// The evaluation summary (评估报告摘要) of a mid-term evaluation, issued on acceptance;
        /// a re-evaluation's is the next version.
        MidtermSummary = "midterm_summary",
        /// The evaluation summary of a final evaluation (and of its re-evaluation).
        FinalSummary = "final_summary",
    }
);

impl DocumentKind {
    /// The evaluation summary of a stage.
    pub fn summary_of(stage: super::evaluation::Stage) -> DocumentKind {
        match stage {
            super::evaluation::Stage::Midterm => DocumentKind::MidtermSummary,
            super::evaluation::Stage::Final => DocumentKind::FinalSummary,
        }
    }

    /// An evaluation summary: its facts are an evaluation's, and a terminated project does not
    /// revoke it (it stays a true record of what was found).
    pub fn is_summary(self) -> bool {
        matches!(
            self,
            DocumentKind::MidtermSummary | DocumentKind::FinalSummary
        )
    }

    /// The download's file name, e.g. `立项通知书-XY-2026-0001.pdf`.
    pub fn filename(self, agreement_no: &str) -> String {
        let name = match self {
            DocumentKind::AwardNotice => "立项通知书",
            DocumentKind::Agreement => "项目协议书",
            DocumentKind::CompletionCertificate => "结项证明",
            DocumentKind::Supplement => "补充协议",
            DocumentKind::MidtermSummary => "中期评估报告摘要",
            DocumentKind::FinalSummary => "末期评估报告摘要",
        };
        format!("{name}-{agreement_no}.pdf")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_project_is_flagged_for_each_trouble_it_has() {
        use super::{troubles, ProjectStatus as S, Trouble as T};
        type Row = (S, usize, usize, bool, bool, &'static [T]);
        let table: &[Row] = &[
            (S::Active, 0, 0, false, false, &[]),
            (S::Active, 1, 0, false, false, &[T::OverdueReports]),
            (S::Completed, 1, 0, false, false, &[]),
            (
                S::Active,
                0,
                2,
                true,
                false,
                &[T::Overspent, T::WithheldTranche],
            ),
            (
                S::Rectifying,
                2,
                0,
                false,
                false,
                &[T::OverdueReports, T::Rectifying],
            ),
            (
                S::Terminated,
                0,
                1,
                false,
                false,
                &[T::Overspent, T::Terminated],
            ),
            (
                S::Failed,
                0,
                0,
                true,
                false,
                &[T::FailedEvaluation, T::WithheldTranche],
            ),
            (S::Active, 0, 0, false, true, &[T::OverdueRectification]),
        ];
        for (status, overdue, overspent, withheld, rectify, want) in table {
            assert_eq!(
                troubles(*status, *overdue, *overspent, *withheld, *rectify),
                want.to_vec(),
                "{status} overdue {overdue} overspent {overspent} withheld {withheld} rectify {rectify}"
            );
        }
    }

    use super::ProjectStatus::{self, *};

    #[test]
    fn the_transition_table_is_the_designs() {
        let allowed = [
            (Active, Active),
            (Active, Rectifying),
            (Active, Completed),
            (Active, Terminated),
            (Active, Failed),
            (Rectifying, Active),
            (Rectifying, Rectifying),
            (Rectifying, Completed),
            (Rectifying, Terminated),
            (Rectifying, Failed),
        ];
        for &from in ProjectStatus::ALL {
            for &to in ProjectStatus::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.can_transition(to), expected, "{from:?} -> {to:?}");
                assert_eq!(from.transition(to).is_ok(), expected, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn an_ended_project_is_a_conflict_to_move() {
        let err = Completed.transition(Active).unwrap_err();
        assert!(matches!(err, crate::error::AppError::Conflict(_)));
        assert!(!Terminated.running() && !Failed.running() && Rectifying.running());
    }
}
