//! Who may do what. Handlers ask here and never re-implement a rule.

use crate::domain::account::Role;
use crate::domain::org::OrgKind;
use crate::error::AppError;

/// The signed-in person, as loaded for the current request.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Actor {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub org_id: Option<i64>,
    pub bureau_id: Option<i64>,
    pub locale: String,
}

/// The parts of an organization that access rules depend on.
#[derive(Debug, Clone, Copy)]
pub struct OrgRef {
    pub id: i64,
    pub kind: OrgKind,
}

#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// List, deactivate and reactivate accounts; manage bureaus.
    ManageUsers,
    /// Invite a person with this role (into `org` for NGO/evaluator members).
    InviteUser(Role),
    /// Register a new organization of this kind.
    RegisterOrg(OrgKind),
    ViewOrg(OrgRef),
    /// Edit the registration, upload documents.
    EditOrg(OrgRef),
    /// Invite a colleague into the organization.
    InviteToOrg(OrgRef),
    /// List every organization, verify / reject, accept a failed code check, set credit flags.
    SuperviseOrgs,
    /// Read the audit trail.
    ViewAudit,
    /// Create, edit, publish and run the rounds of this bureau.
    ManageRounds(i64),
    /// Write, submit and withdraw the proposals of this organization.
    EditProposal(i64),
    /// Read a proposal of `org` in a round of `bureau`: the organization's members always;
    /// the bureau's officers once it has been received (submitted at least once: a draft
    /// belongs to the organization until then, and the bureau sees only how many there are).
    ViewProposal {
        org: i64,
        bureau: i64,
        received: bool,
    },
    /// Work on a review assigned to this reviewer.
    OwnReview(i64),
    /// Read a project of `org` in a round of `bureau`: its members and the bureau's
    /// officers; admins too, read-only and audited (`ops::award::find_visible_project`).
    /// Evaluators assigned to it are decided with the database, by the same function.
    ViewProject {
        org: i64,
        bureau: i64,
    },
    /// Read an evaluation of a project of `bureau` that the actor may read already
    /// (`ops::award::find_visible_project`): the bureau's officers and the evaluation's own
    /// evaluator always; everyone else who reads the project (its NGO, admins, the
    /// project's other evaluators) once it is accepted.
    ViewEvaluation {
        bureau: i64,
        evaluator: i64,
        accepted: bool,
    },
    /// Schedule and record supervision visits (督导) of a project of `bureau`: the bureau's
    /// officers, and the bureau's supervisors the project is `assigned` to (named on one of
    /// its visits; decided with the database by `ops::visits`). Supervisors read such a
    /// project too, and nothing else.
    SuperviseProject {
        bureau: i64,
        assigned: bool,
    },
}

fn is_member(actor: &Actor, org: OrgRef) -> bool {
    let member_role = match org.kind {
        OrgKind::Ngo => Role::Ngo,
        OrgKind::Agency => Role::Evaluator,
    };
    actor.org_id == Some(org.id) && actor.role == member_role
}

/// Whether `actor` may perform `action`.
pub fn allows(actor: &Actor, action: Action) -> bool {
    let staff = matches!(actor.role, Role::Admin | Role::Officer);
    match action {
        Action::ManageUsers => actor.role == Role::Admin,
        Action::InviteUser(role) => match actor.role {
            Role::Admin => role != Role::Ngo,
            Role::Officer => matches!(role, Role::Reviewer | Role::Evaluator | Role::Supervisor),
            _ => false,
        },
        Action::RegisterOrg(OrgKind::Ngo) => actor.role == Role::Ngo && actor.org_id.is_none(),
        Action::RegisterOrg(OrgKind::Agency) => staff,
        Action::ViewOrg(org) => staff || is_member(actor, org),
        Action::EditOrg(org) => is_member(actor, org) || (staff && org.kind == OrgKind::Agency),
        Action::InviteToOrg(org) => is_member(actor, org) || (staff && org.kind == OrgKind::Agency),
        Action::SuperviseOrgs | Action::ViewAudit => staff,
        Action::ManageRounds(bureau) => {
            actor.role == Role::Officer && actor.bureau_id == Some(bureau)
        }
        Action::EditProposal(org) => actor.role == Role::Ngo && actor.org_id == Some(org),
        Action::ViewProposal {
            org,
            bureau,
            received,
        } => {
            allows(actor, Action::EditProposal(org))
                || (received && allows(actor, Action::ManageRounds(bureau)))
        }
        Action::OwnReview(reviewer) => actor.role == Role::Reviewer && actor.id == reviewer,
        Action::ViewProject { org, bureau } => {
            actor.role == Role::Admin
                || allows(
                    actor,
                    Action::ViewProposal {
                        org,
                        bureau,
                        received: true,
                    },
                )
        }
        Action::ViewEvaluation {
            bureau,
            evaluator,
            accepted,
        } => {
            accepted
                || allows(actor, Action::ManageRounds(bureau))
                || (actor.role == Role::Evaluator && actor.id == evaluator)
        }
        Action::SuperviseProject { bureau, assigned } => {
            allows(actor, Action::ManageRounds(bureau))
                || (actor.role == Role::Supervisor && actor.bureau_id == Some(bureau) && assigned)
        }
    }
}

/// `allows`, as a result for `?`.
pub fn require(actor: &Actor, action: Action) -> Result<(), AppError> {
    if allows(actor, action) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org_id: Option<i64>) -> Actor {
        Actor {
            id: 1,
            email: "a@example.org".into(),
            name: "A".into(),
            role,
            org_id,
            bureau_id: None,
            locale: "zh-CN".into(),
        }
    }

    const NGO: OrgRef = OrgRef {
        id: 10,
        kind: OrgKind::Ngo,
    };
    const OTHER_NGO: OrgRef = OrgRef {
        id: 11,
        kind: OrgKind::Ngo,
    };
    const AGENCY: OrgRef = OrgRef {
        id: 20,
        kind: OrgKind::Agency,
    };

    #[test]
    fn members_manage_their_own_org_only() {
        let m = actor(Role::Ngo, Some(10));
        assert!(allows(&m, Action::ViewOrg(NGO)));
        assert!(allows(&m, Action::EditOrg(NGO)));
        assert!(allows(&m, Action::InviteToOrg(NGO)));
        assert!(!allows(&m, Action::ViewOrg(OTHER_NGO)));
        assert!(!allows(&m, Action::EditOrg(OTHER_NGO)));
        assert!(!allows(&m, Action::SuperviseOrgs));
        assert!(
            !allows(&m, Action::RegisterOrg(OrgKind::Ngo)),
            "already has an org"
        );
        assert!(allows(
            &actor(Role::Ngo, None),
            Action::RegisterOrg(OrgKind::Ngo)
        ));
    }

    #[test]
    fn officers_supervise_but_do_not_edit_ngo_registrations() {
        let o = actor(Role::Officer, None);
        assert!(allows(&o, Action::ViewOrg(NGO)));
        assert!(allows(&o, Action::SuperviseOrgs));
        assert!(allows(&o, Action::ViewAudit));
        assert!(!allows(&o, Action::EditOrg(NGO)));
        assert!(allows(&o, Action::EditOrg(AGENCY)));
        assert!(allows(&o, Action::RegisterOrg(OrgKind::Agency)));
        assert!(!allows(&o, Action::RegisterOrg(OrgKind::Ngo)));
        assert!(!allows(&o, Action::ManageUsers));
    }

    #[test]
    fn invitations_follow_the_role_ladder() {
        let admin = actor(Role::Admin, None);
        let officer = actor(Role::Officer, None);
        for r in [Role::Admin, Role::Officer, Role::Reviewer, Role::Evaluator] {
            assert!(allows(&admin, Action::InviteUser(r)));
        }
        assert!(
            !allows(&admin, Action::InviteUser(Role::Ngo)),
            "NGOs sign up or are invited by colleagues"
        );
        assert!(allows(&officer, Action::InviteUser(Role::Reviewer)));
        assert!(allows(&officer, Action::InviteUser(Role::Evaluator)));
        assert!(allows(&officer, Action::InviteUser(Role::Supervisor)));
        assert!(allows(&admin, Action::InviteUser(Role::Supervisor)));
        assert!(!allows(&officer, Action::InviteUser(Role::Officer)));
        assert!(!allows(&officer, Action::InviteUser(Role::Admin)));
        for r in Role::ALL {
            assert!(!allows(&actor(Role::Reviewer, None), Action::InviteUser(r)));
            assert!(!allows(&actor(Role::Ngo, Some(10)), Action::InviteUser(r)));
        }
    }

    #[test]
    fn evaluators_belong_to_agencies_not_ngos() {
        let e = actor(Role::Evaluator, Some(20));
        assert!(allows(&e, Action::ViewOrg(AGENCY)));
        assert!(allows(&e, Action::InviteToOrg(AGENCY)));
        let wrong = actor(Role::Evaluator, Some(10));
        assert!(
            !allows(&wrong, Action::ViewOrg(NGO)),
            "an evaluator is never an NGO member"
        );
        assert!(!allows(&actor(Role::Reviewer, None), Action::ViewOrg(NGO)));
    }

    #[test]
    fn officers_run_only_their_own_bureaus_rounds() {
        let mut o = actor(Role::Officer, None);
        o.bureau_id = Some(3);
        assert!(allows(&o, Action::ManageRounds(3)));
        assert!(!allows(&o, Action::ManageRounds(4)));
        let mut admin = actor(Role::Admin, None);
        admin.bureau_id = Some(3);
        assert!(
            !allows(&admin, Action::ManageRounds(3)),
            "admins manage accounts, not rounds"
        );
        assert!(!allows(
            &actor(Role::Ngo, Some(10)),
            Action::ManageRounds(3)
        ));
    }

    #[test]
    fn proposals_are_for_their_org_and_their_bureau() {
        let member = actor(Role::Ngo, Some(10));
        assert!(allows(&member, Action::EditProposal(10)));
        assert!(!allows(&member, Action::EditProposal(11)));
        let view = |org, bureau, received| Action::ViewProposal {
            org,
            bureau,
            received,
        };
        let mut officer = actor(Role::Officer, None);
        officer.bureau_id = Some(3);
        let admin = actor(Role::Admin, None);
        // (who, org, bureau, received) → may read
        for (who, a, can) in [
            ("member, draft", (&member, view(10, 3, false)), true),
            ("member, received", (&member, view(10, 3, true)), true),
            ("other org, received", (&member, view(11, 3, true)), false),
            ("officer, received", (&officer, view(10, 3, true)), true),
            ("officer, draft", (&officer, view(10, 3, false)), false),
            (
                "other bureau, received",
                (&officer, view(10, 4, true)),
                false,
            ),
            ("admin, received", (&admin, view(10, 3, true)), false),
            ("admin, draft", (&admin, view(10, 3, false)), false),
        ] {
            assert_eq!(allows(a.0, a.1), can, "{who}");
        }
        assert!(!allows(&officer, Action::EditProposal(10)));
        assert!(!allows(
            &actor(Role::Evaluator, Some(10)),
            Action::EditProposal(10)
        ));
    }

    #[test]
    fn admins_read_every_project_but_run_none() {
        let project = Action::ViewProject { org: 10, bureau: 3 };
        let admin = actor(Role::Admin, None);
        assert!(allows(&admin, project));
        assert!(!allows(&admin, Action::ManageRounds(3)));
        assert!(!allows(&admin, Action::EditProposal(10)));
        assert!(allows(&actor(Role::Ngo, Some(10)), project));
        assert!(!allows(&actor(Role::Ngo, Some(11)), project));
        let mut officer = actor(Role::Officer, None);
        officer.bureau_id = Some(3);
        assert!(allows(&officer, project));
        officer.bureau_id = Some(4);
        assert!(!allows(&officer, project));
        assert!(!allows(&actor(Role::Reviewer, None), project));
        assert!(!allows(&actor(Role::Evaluator, Some(20)), project));
    }

    #[test]
    fn an_evaluation_is_read_by_its_officers_and_evaluator_then_by_all_once_accepted() {
        let open = |evaluator| Action::ViewEvaluation {
            bureau: 3,
            evaluator,
            accepted: false,
        };
        let mut officer = actor(Role::Officer, None);
        officer.bureau_id = Some(3);
        assert!(allows(&officer, open(7)));
        officer.bureau_id = Some(4);
        assert!(!allows(&officer, open(7)), "another bureau");
        let evaluator = actor(Role::Evaluator, Some(20)); // id 1
        assert!(allows(&evaluator, open(1)));
        assert!(!allows(&evaluator, open(7)), "someone else's");
        assert!(
            !allows(&actor(Role::Ngo, Some(10)), open(1)),
            "id 1, not an evaluator"
        );
        assert!(!allows(&actor(Role::Admin, None), open(7)));
        let accepted = Action::ViewEvaluation {
            bureau: 3,
            evaluator: 7,
            accepted: true,
        };
        for r in [Role::Ngo, Role::Evaluator, Role::Admin] {
            assert!(allows(&actor(r, Some(10)), accepted));
        }
    }

    #[test]
    fn supervisors_supervise_only_their_bureaus_assigned_projects_and_run_nothing() {
        let supervise = |bureau, assigned| Action::SuperviseProject { bureau, assigned };
        let mut sup = actor(Role::Supervisor, None);
        sup.bureau_id = Some(3);
        assert!(allows(&sup, supervise(3, true)));
        assert!(!allows(&sup, supervise(3, false)), "not assigned");
        assert!(!allows(&sup, supervise(4, true)), "another bureau");
        for a in [
            Action::ManageRounds(3),
            Action::ViewProject { org: 10, bureau: 3 },
            Action::SuperviseOrgs,
            Action::ViewAudit,
            Action::InviteUser(Role::Supervisor),
        ] {
            assert!(!allows(&sup, a), "{a:?}");
        }
        let mut officer = actor(Role::Officer, None);
        officer.bureau_id = Some(3);
        assert!(allows(&officer, supervise(3, false)));
        assert!(!allows(&officer, supervise(4, false)));
        for r in [Role::Admin, Role::Ngo, Role::Reviewer, Role::Evaluator] {
            let mut a = actor(r, Some(10));
            a.bureau_id = Some(3);
            assert!(!allows(&a, supervise(3, true)), "{r:?}");
        }
    }

    #[test]
    fn only_admins_manage_users() {
        for r in Role::ALL {
            assert_eq!(
                allows(&actor(r, None), Action::ManageUsers),
                r == Role::Admin
            );
        }
    }
}
