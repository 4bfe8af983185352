// Hand-kept diesel schema; the same tables exist in migrations/sqlite and migrations/postgres.
// Only types both backends share are used (see DESIGN §4).

diesel::table! {
    bureaus (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Nullable<Text>,
        status -> Text,
        email_verified_at -> Nullable<Timestamp>,
        token_version -> Integer,
        must_change_password -> Bool,
        locale -> Text,
        org_id -> Nullable<BigInt>,
        bureau_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        unread_messages -> Integer,
    }
}

diesel::table! {
    organizations (id) {
        id -> BigInt,
        kind -> Text,
        name -> Text,
        uscc -> Nullable<Text>,
        uscc_check_failed -> Bool,
        uscc_override_by -> Nullable<BigInt>,
        reg_type -> Text,
        sponsor_org -> Nullable<Text>,
        registered_on -> Nullable<Date>,
        reg_authority -> Text,
        legal_rep -> Text,
        contact_name -> Text,
        contact_phone -> Text,
        contact_email -> Text,
        address -> Text,
        district -> Text,
        street -> Text,
        grade -> Nullable<Text>,
        grade_date -> Nullable<Date>,
        bank_name -> Text,
        bank_account_name -> Text,
        bank_account_no -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
        credit_flag_org -> Bool,
        credit_flag_legal_rep -> Bool,
        credit_note -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    org_inspections (id) {
        id -> BigInt,
        org_id -> BigInt,
        year -> Integer,
        result -> Text,
    }
}

diesel::table! {
    org_documents (id) {
        id -> BigInt,
        org_id -> BigInt,
        kind -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    tokens (id) {
        id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        user_id -> BigInt,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        hits -> Integer,
        window_started_at -> Timestamp,
    }
}

diesel::table! {
    audit_head (id) {
        id -> BigInt,
        last_hash -> Text,
        entries -> BigInt,
        chain_id -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        seq -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_label -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
        scheme -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        to_email -> Text,
        to_name -> Text,
        subject -> Text,
        body_text -> Text,
        kind -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        bureau_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> organizations (org_id));
diesel::joinable!(users -> bureaus (bureau_id));
diesel::joinable!(org_inspections -> organizations (org_id));
diesel::joinable!(org_documents -> organizations (org_id));
diesel::joinable!(tokens -> users (user_id));

diesel::table! {
    rounds (id) {
        id -> BigInt,
        bureau_id -> BigInt,
        title -> Text,
        year -> Integer,
        description -> Text,
        status -> Text,
        total_budget_fen -> BigInt,
        min_grant_fen -> BigInt,
        max_grant_fen -> BigInt,
        opens_at -> Nullable<Timestamp>,
        closes_at -> Nullable<Timestamp>,
        review_due -> Nullable<Timestamp>,
        rules_json -> Text,
        version -> Integer,
        published_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(rounds -> bureaus (bureau_id));

diesel::table! {
    proposals (id) {
        id -> BigInt,
        round_id -> BigInt,
        org_id -> BigInt,
        number -> Nullable<Text>,
        status -> Text,
        category -> Text,
        title -> Text,
        requested_grant_fen -> BigInt,
        total_budget_fen -> BigInt,
        content_json -> Text,
        version -> Integer,
        submitted_at -> Nullable<Timestamp>,
        return_deadline -> Nullable<Timestamp>,
        return_comment -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        renewal_of -> Nullable<BigInt>,
        renewal_track -> Nullable<Text>,
    }
}

diesel::table! {
    proposal_attachments (id) {
        id -> BigInt,
        proposal_id -> BigInt,
        kind -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::joinable!(proposals -> rounds (round_id));
diesel::joinable!(proposals -> organizations (org_id));
diesel::joinable!(proposal_attachments -> proposals (proposal_id));

diesel::table! {
    org_bars (id) {
        id -> BigInt,
        org_id -> BigInt,
        bureau_id -> BigInt,
        until -> Date,
        reason -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        lifted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(org_bars -> bureaus (bureau_id));

diesel::table! {
    reviewer_profiles (user_id) {
        user_id -> BigInt,
        expertise -> Text,
        affiliations_json -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reviews (id) {
        id -> BigInt,
        round_id -> BigInt,
        proposal_id -> BigInt,
        reviewer_id -> BigInt,
        status -> Text,
        scores_json -> Text,
        overall_comment -> Text,
        recommendation -> Nullable<Text>,
        conflict_note -> Nullable<Text>,
        version -> Integer,
        assigned_by -> Nullable<BigInt>,
        assigned_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        score_list -> Text,
    }
}

diesel::joinable!(reviews -> proposals (proposal_id));
diesel::joinable!(reviews -> rounds (round_id));

diesel::table! {
    holidays (day) {
        day -> Date,
        kind -> Text,
        label -> Text,
    }
}

diesel::table! {
    reminders (key) {
        key -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    decision_entries (proposal_id) {
        proposal_id -> BigInt,
        round_id -> BigInt,
        reduced_fen -> Nullable<BigInt>,
        reduce_reason -> Nullable<Text>,
        line_override -> Nullable<Text>,
        override_reason -> Nullable<Text>,
        updated_by -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    category_budgets (round_id, category) {
        round_id -> BigInt,
        category -> Text,
        budget_fen -> BigInt,
    }
}

diesel::table! {
    notices (round_id) {
        round_id -> BigInt,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        working_days -> Integer,
        published_by -> BigInt,
        finalised_at -> Nullable<Timestamp>,
        opened_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    awards (proposal_id) {
        proposal_id -> BigInt,
        round_id -> BigInt,
        rank -> Integer,
        final_tenths -> Integer,
        requested_fen -> BigInt,
        amount_fen -> BigInt,
        reduce_reason -> Nullable<Text>,
        state -> Text,
        substitute -> Bool,
        updated_at -> Timestamp,
        partial_of_fen -> Nullable<BigInt>,
        supplement_starts_at -> Nullable<Timestamp>,
        supplement_ends_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    objections (id) {
        id -> BigInt,
        round_id -> BigInt,
        proposal_id -> BigInt,
        name -> Text,
        email -> Text,
        phone -> Text,
        reason -> Text,
        status -> Text,
        response -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        confirm_token_hash -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        round_id -> BigInt,
        proposal_id -> BigInt,
        org_id -> BigInt,
        agreement_no -> Text,
        title -> Text,
        category -> Text,
        grant_fen -> BigInt,
        status -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        agreement_signed_at -> Nullable<Timestamp>,
        rectify_until -> Nullable<Date>,
        renewal -> Nullable<Text>,
        final_grade -> Nullable<Text>,
        fig_unique_people -> BigInt,
        fig_person_times -> BigInt,
        fig_spent_grant_fen -> BigInt,
        fig_spent_matching_fen -> BigInt,
        fig_overspent_lines -> Integer,
        fig_next_due_on -> Nullable<Date>,
        fig_version -> Integer,
        bureau_id -> BigInt,
        fig_targets_total -> Integer,
        fig_targets_met -> Integer,
        fig_target_score -> Nullable<Integer>,
    }
}

diesel::table! {
    project_groups (project_id, grp) {
        project_id -> BigInt,
        grp -> Text,
        unique_people -> BigInt,
        person_times -> BigInt,
    }
}

diesel::table! {
    tranches (id) {
        id -> BigInt,
        project_id -> BigInt,
        seq -> Integer,
        share_bp -> BigInt,
        condition -> Text,
        amount_fen -> BigInt,
        status -> Text,
        released_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(awards -> proposals (proposal_id));
diesel::joinable!(objections -> proposals (proposal_id));
diesel::joinable!(projects -> proposals (proposal_id));
diesel::joinable!(projects -> organizations (org_id));
diesel::joinable!(projects -> rounds (round_id));
diesel::joinable!(tranches -> projects (project_id));
diesel::joinable!(decision_entries -> proposals (proposal_id));
diesel::joinable!(notices -> rounds (round_id));

diesel::table! {
    project_files (id) {
        id -> BigInt,
        project_id -> BigInt,
        report_id -> Nullable<BigInt>,
        kind -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
        evaluation_id -> Nullable<BigInt>,
        visit_id -> Nullable<BigInt>,
        change_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        project_id -> BigInt,
        kind -> Text,
        milestone_index -> Nullable<Integer>,
        period_start -> Date,
        period_end -> Date,
        due_on -> Date,
        status -> Text,
        content_json -> Text,
        version -> Integer,
        submitted_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        return_comment -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    payments (id) {
        id -> BigInt,
        project_id -> BigInt,
        tranche_id -> BigInt,
        paid_on -> Date,
        voucher_no -> Text,
        amount_fen -> BigInt,
        recorded_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(project_files -> projects (project_id));
diesel::joinable!(reports -> projects (project_id));
diesel::joinable!(project_groups -> projects (project_id));
diesel::joinable!(payments -> tranches (tranche_id));

diesel::table! {
    evaluations (id) {
        id -> BigInt,
        project_id -> BigInt,
        stage -> Text,
        reevaluation -> Bool,
        agency_org_id -> BigInt,
        evaluator_id -> BigInt,
        due_on -> Date,
        status -> Text,
        content_json -> Text,
        version -> Integer,
        total_tenths -> Nullable<Integer>,
        grade -> Nullable<Text>,
        consequence -> Nullable<Text>,
        renewal -> Nullable<Text>,
        override_reason -> Nullable<Text>,
        return_comment -> Nullable<Text>,
        assigned_by -> BigInt,
        submitted_at -> Nullable<Timestamp>,
        accepted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lateness_json -> Nullable<Text>,
    }
}

diesel::joinable!(evaluations -> projects (project_id));

diesel::table! {
    refunds (id) {
        id -> BigInt,
        project_id -> BigInt,
        kind -> Text,
        amount_fen -> BigInt,
        note -> Text,
        recorded_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    bureaus,
    users,
    organizations,
    org_inspections,
    org_documents,
    tokens,
    login_throttle,
    rate_limits,
    audit_head,
    audit_log,
    outbox,
    rounds,
    proposals,
    proposal_attachments,
    counters,
    org_bars,
    reviewer_profiles,
    reviews,
    holidays,
    reminders,
    decision_entries,
    category_budgets,
    notices,
    awards,
    objections,
    projects,
    project_groups,
    tranches,
    project_files,
    reports,
    payments,
    evaluations,
    refunds,
);

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        kind -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_seen_at -> Timestamp,
        user_agent -> Text,
        client_addr -> Text,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(sessions, users);
diesel::allow_tables_to_appear_in_same_query!(sessions, audit_head);

diesel::table! {
    documents (id) {
        id -> BigInt,
        project_id -> BigInt,
        kind -> Text,
        version -> Integer,
        filename -> Text,
        source_json -> Text,
        issued_at -> Timestamp,
        content -> Nullable<Binary>,
        sha256 -> Nullable<Text>,
        size_bytes -> Nullable<BigInt>,
        rendered_at -> Nullable<Timestamp>,
        verify_code -> Nullable<Text>,
        evaluation_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(documents -> projects (project_id));
diesel::allow_tables_to_appear_in_same_query!(documents, projects);

diesel::table! {
    visits (id) {
        id -> BigInt,
        project_id -> BigInt,
        visitor_id -> BigInt,
        scheduled_on -> Date,
        status -> Text,
        visited_on -> Nullable<Date>,
        checklist_json -> Text,
        rating -> Nullable<Text>,
        summary -> Text,
        scheduled_by -> BigInt,
        recorded_by -> Nullable<BigInt>,
        recorded_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    visit_findings (id) {
        id -> BigInt,
        visit_id -> BigInt,
        project_id -> BigInt,
        seq -> Integer,
        text -> Text,
        rectify_by -> Nullable<Date>,
        status -> Text,
        response -> Nullable<Text>,
        response_file_id -> Nullable<BigInt>,
        responded_by -> Nullable<BigInt>,
        responded_at -> Nullable<Timestamp>,
        closed_by -> Nullable<BigInt>,
        closed_at -> Nullable<Timestamp>,
        close_note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(visits -> projects (project_id));
diesel::joinable!(visit_findings -> visits (visit_id));
diesel::joinable!(visit_findings -> projects (project_id));
diesel::allow_tables_to_appear_in_same_query!(visits, visit_findings);
diesel::allow_tables_to_appear_in_same_query!(visits, projects);
diesel::allow_tables_to_appear_in_same_query!(visits, organizations);
diesel::allow_tables_to_appear_in_same_query!(visits, rounds);
diesel::allow_tables_to_appear_in_same_query!(visits, users);
diesel::allow_tables_to_appear_in_same_query!(visits, bureaus);
diesel::allow_tables_to_appear_in_same_query!(visits, project_files);
diesel::allow_tables_to_appear_in_same_query!(visit_findings, projects);
diesel::allow_tables_to_appear_in_same_query!(visit_findings, organizations);
diesel::allow_tables_to_appear_in_same_query!(visit_findings, rounds);
diesel::allow_tables_to_appear_in_same_query!(visit_findings, users);
diesel::allow_tables_to_appear_in_same_query!(visit_findings, bureaus);
diesel::allow_tables_to_appear_in_same_query!(visit_findings, tranches);
diesel::allow_tables_to_appear_in_same_query!(visit_findings, payments);
diesel::allow_tables_to_appear_in_same_query!(visit_findings, project_groups);
diesel::allow_tables_to_appear_in_same_query!(tranches, visits);

diesel::table! {
    change_requests (id) {
        id -> BigInt,
        project_id -> BigInt,
        kind -> Text,
        status -> Text,
        reason -> Text,
        proposed_json -> Text,
        applied_json -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        filed_by -> BigInt,
        filed_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        plan_version -> Nullable<Integer>,
        supplement_no -> Nullable<Integer>,
    }
}

diesel::table! {
    plan_versions (project_id, version) {
        project_id -> BigInt,
        version -> Integer,
        content_json -> Text,
        change_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(change_requests -> projects (project_id));
diesel::joinable!(plan_versions -> projects (project_id));
diesel::allow_tables_to_appear_in_same_query!(change_requests, plan_versions);
diesel::allow_tables_to_appear_in_same_query!(change_requests, projects);
diesel::allow_tables_to_appear_in_same_query!(change_requests, organizations);
diesel::allow_tables_to_appear_in_same_query!(change_requests, rounds);
diesel::allow_tables_to_appear_in_same_query!(change_requests, users);
diesel::allow_tables_to_appear_in_same_query!(plan_versions, projects);

diesel::table! {
    roster_entries (id) {
        id -> BigInt,
        project_id -> BigInt,
        report_id -> BigInt,
        seq -> Integer,
        grp -> Text,
        name -> Text,
        id_kind -> Nullable<Text>,
        id_cipher -> Nullable<Text>,
        id_hash -> Nullable<Text>,
        id_masked -> Nullable<Text>,
        first_served -> Date,
        person_times -> Integer,
        anonymised_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(roster_entries -> projects (project_id));
diesel::joinable!(roster_entries -> reports (report_id));
diesel::allow_tables_to_appear_in_same_query!(roster_entries, projects);
diesel::allow_tables_to_appear_in_same_query!(roster_entries, reports);
diesel::allow_tables_to_appear_in_same_query!(roster_entries, organizations);
diesel::allow_tables_to_appear_in_same_query!(roster_entries, rounds);
diesel::allow_tables_to_appear_in_same_query!(roster_entries, evaluations);

diesel::table! {
    samples (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        project_id -> BigInt,
        seed -> Text,
        groups_json -> Text,
        drawn_by -> BigInt,
        drawn_at -> Timestamp,
        flagged_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sample_persons (id) {
        id -> BigInt,
        sample_id -> BigInt,
        seq -> Integer,
        grp -> Text,
        person_digest -> Text,
        roster_entry_id -> BigInt,
        reached -> Nullable<Bool>,
        confirmed -> Nullable<Bool>,
        satisfaction -> Nullable<Integer>,
        recorded_by -> Nullable<BigInt>,
        recorded_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(samples -> evaluations (evaluation_id));
diesel::joinable!(samples -> projects (project_id));
diesel::joinable!(sample_persons -> samples (sample_id));
diesel::allow_tables_to_appear_in_same_query!(samples, evaluations);
diesel::allow_tables_to_appear_in_same_query!(samples, users);
diesel::allow_tables_to_appear_in_same_query!(samples, projects);
diesel::allow_tables_to_appear_in_same_query!(samples, organizations);
diesel::allow_tables_to_appear_in_same_query!(samples, sample_persons);
diesel::allow_tables_to_appear_in_same_query!(sample_persons, roster_entries);

diesel::table! {
    project_closures (project_id) {
        project_id -> BigInt,
        closed_at -> Timestamp,
    }
}

diesel::joinable!(project_closures -> projects (project_id));
diesel::allow_tables_to_appear_in_same_query!(project_closures, projects);
diesel::allow_tables_to_appear_in_same_query!(project_closures, roster_entries);
diesel::allow_tables_to_appear_in_same_query!(project_closures, rounds);
