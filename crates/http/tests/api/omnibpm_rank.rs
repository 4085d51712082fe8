//! OmniBPM `rank/*`.

use crate::both;
use crate::helpers::{bad_request, exact_err, Org, TestApp, MASTER_KEY};
use serde_json::{json, Value};

/// Every rank of `org`, as `rank/list` shows them.
async fn ranks(app: &TestApp, org: &Org) -> Vec<Value> {
    let v = app.ok(org, "rank/list", json!({})).await;
    v["ranks"].as_array().expect("ranks").clone()
}

/// `(name, level, is_active)` of every rank, in list order.
async fn levels(app: &TestApp, org: &Org) -> Vec<(String, i64, bool)> {
    ranks(app, org)
        .await
        .iter()
        .map(|r| {
            (
                r["name"].as_str().expect("name").to_string(),
                r["level"].as_i64().expect("level"),
                r["is_active"].as_bool().expect("is_active"),
            )
        })
        .collect()
}

/// The listed rank named `name`.
async fn rank(app: &TestApp, org: &Org, name: &str) -> Value {
    ranks(app, org)
        .await
        .into_iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no rank {name}"))
}

/// Creates a rank, returning it.
async fn create(app: &TestApp, org: &Org, name: &str, level: i64) -> Value {
    app.ok(
        org,
        "rank/create",
        json!({"rank": {"name": name, "level": level}}),
    )
    .await["rank"]
        .clone()
}

fn id(v: &Value) -> i64 {
    v["__id__"].as_i64().expect("__id__")
}

fn refs(ids: &[i64]) -> Value {
    ids.iter().map(|i| json!({"__id__": i})).collect()
}

/// The default ranks with their levels.
fn defaults() -> Vec<(String, i64, bool)> {
    [
        ("Executive Officer", 1),
        ("Director", 2),
        ("Manager", 3),
        ("Specialist", 4),
    ]
    .into_iter()
    .map(|(n, l)| (n.to_string(), l, true))
    .collect()
}

const NON_EMPTY: &str = "Trying to delete a non-empty user rank";
const MISSING: &str = "Missing ranks in the order list.";

both! {
    async fn list_shows_ranks_highest_first_with_their_organization(app) {
        let org = app.org("ACME").await;
        let list = ranks(&app, &org).await;
        assert_eq!(levels(&app, &org).await, defaults());
        for r in &list {
            assert_eq!(r["__model__"], "UserRank");
            assert!(r["__id__"].is_i64(), "{r}");
            assert_eq!(r["organization"]["__id__"], org.id);
            assert_eq!(r["organization"]["__model__"], "Organization");
            assert_eq!(r["organization"]["name"], "ACME Inc.");
            assert_eq!(r["organization"]["abbr"], "ACME");
        }
        let mut ids: Vec<i64> = list.iter().map(id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 4);
    }

    async fn create_answers_the_rank_and_lists_it_by_level(app) {
        let org = app.org("ACME").await;
        let r = create(&app, &org, "打雜的", 10).await;
        assert_eq!(r["__model__"], "UserRank");
        assert_eq!(r["name"], "打雜的");
        assert_eq!(r["level"], 10);
        assert_eq!(r["is_active"], true);
        assert_eq!(r["organization"]["__id__"], org.id);
        let v = app.ok(&org, "rank/create", json!({"rank": {"__model__": "UserRank", "name": "Senior Specialist", "level": 5}})).await;
        assert_eq!(v["rank"]["level"], 5);
        let list = ranks(&app, &org).await;
        assert_eq!(list[5], r);
        let mut want = defaults();
        want.push(("Senior Specialist".into(), 5, true));
        want.push(("打雜的".into(), 10, true));
        assert_eq!(levels(&app, &org).await, want);
    }

    async fn a_taken_level_gives_duplicate_name(app) {
        let org = app.org("ACME").await;
        for level in 1..=4 {
            exact_err(&app, &org, "rank/create", json!({"rank": {"name": format!("New {level}"), "level": level}}), 409, "Duplicate Name.").await;
        }
        // An inactive rank's level is taken too.
        create(&app, &org, "Intern", 9).await;
        let intern = app.id_of(&org, "rank", "Intern").await;
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": intern}})).await;
        exact_err(&app, &org, "rank/create", json!({"rank": {"name": "Trainee", "level": 9}}), 409, "Duplicate Name.").await;
        let mut want = defaults();
        want.push(("Intern".into(), 9, false));
        assert_eq!(levels(&app, &org).await, want);
    }

    async fn a_taken_name_gives_duplicate_name(app) {
        let org = app.org("ACME").await;
        exact_err(&app, &org, "rank/create", json!({"rank": {"name": "Manager", "level": 7}}), 409, "Duplicate Name.").await;
        exact_err(&app, &org, "rank/create", json!({"rank": {"name": "  Manager ", "level": 7}}), 409, "Duplicate Name.").await;
        let director = app.id_of(&org, "rank", "Director").await;
        exact_err(&app, &org, "rank/update", json!({"rank": {"__id__": director, "name": "Manager"}}), 409, "Duplicate Name.").await;
        assert_eq!(levels(&app, &org).await, defaults());
        // Another organization may use the same names and levels.
        let beta = app.org("BETA").await;
        create(&app, &beta, "打雜的", 10).await;
        create(&app, &org, "打雜的", 10).await;
    }

    async fn level_is_required_and_must_be_a_positive_whole_number(app) {
        let org = app.org("ACME").await;
        let msg = bad_request(&app, &org, "rank/create", json!({"rank": {"name": "X"}})).await;
        assert!(msg.contains("level"), "{msg}");
        bad_request(&app, &org, "rank/create", json!({"rank": {"name": "X", "level": null}})).await;
        let msg = bad_request(&app, &org, "rank/create", json!({"rank": {"name": "X", "level": "x"}})).await;
        assert!(msg.contains("rank.level"), "{msg}");
        for level in [json!("7"), json!(2.5), json!(true), json!([7]), json!({"level": 7}), json!(0), json!(-1), json!(1_000_000_001i64), json!(i64::MAX), json!(u64::MAX), json!(1e20)] {
            bad_request(&app, &org, "rank/create", json!({"rank": {"name": "X", "level": level}})).await;
        }
        assert_eq!(levels(&app, &org).await, defaults());
        create(&app, &org, "Bottom", 1_000_000_000).await;
    }

    async fn name_is_required_and_bounded(app) {
        let org = app.org("ACME").await;
        for body in [json!({"level": 7}), json!({"name": null, "level": 7}), json!({"name": "", "level": 7}), json!({"name": "  ", "level": 7}), json!({"name": "a\nb", "level": 7}), json!({"name": 7, "level": 7}), json!({"name": "x".repeat(201), "level": 7})] {
            bad_request(&app, &org, "rank/create", json!({"rank": body})).await;
        }
        bad_request(&app, &org, "rank/create", json!({})).await;
        bad_request(&app, &org, "rank/create", json!({"rank": "Manager"})).await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        bad_request(&app, &org, "rank/update", json!({"rank": {"__id__": manager, "name": "職".repeat(201)}})).await;
        bad_request(&app, &org, "rank/update", json!({"rank": {"__id__": manager, "name": " "}})).await;
        assert_eq!(levels(&app, &org).await, defaults());
        let long = "職".repeat(200);
        assert_eq!(create(&app, &org, &long, 7).await["name"], long.as_str());
        assert_eq!(create(&app, &org, "  Trimmed  ", 8).await["name"], "Trimmed");
    }

    async fn a_rank_with_users_cannot_be_inactivated(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let specialist = app.id_of(&org, "rank", "Specialist").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        exact_err(&app, &org, "rank/inactivate", json!({"rank": {"__id__": specialist}}), 409, NON_EMPTY).await;
        assert_eq!(levels(&app, &org).await, defaults());
        // An inactive user still holds the rank.
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": alice}})).await;
        exact_err(&app, &org, "rank/inactivate", json!({"rank": {"__id__": specialist}}), 409, NON_EMPTY).await;
        assert_eq!(levels(&app, &org).await, defaults());
        // Once the user has another rank, it can.
        app.ok(&org, "user/update", json!({"user": {"__id__": alice, "rank": {"__id__": manager}}})).await;
        let v = app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": specialist}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(rank(&app, &org, "Specialist").await["is_active"], false);
    }

    async fn an_inactive_rank_stays_listed_with_its_level_until_activated(app) {
        let org = app.org("ACME").await;
        let r = create(&app, &org, "打雜的", 10).await;
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": id(&r)}})).await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": manager, "__model__": "UserRank"}})).await;
        // Inactivating twice is harmless.
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": manager}})).await;
        let want = vec![
            ("Executive Officer".to_string(), 1, true),
            ("Director".into(), 2, true),
            ("Manager".into(), 3, false),
            ("Specialist".into(), 4, true),
            ("打雜的".into(), 10, false),
        ];
        assert_eq!(levels(&app, &org).await, want);
        let listed = rank(&app, &org, "打雜的").await;
        assert_eq!((listed["__id__"].clone(), listed["__model__"].clone()), (r["__id__"].clone(), json!("UserRank")));
        let v = app.ok(&org, "rank/activate", json!({"rank": {"__id__": id(&r)}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        app.ok(&org, "rank/activate", json!({"rank": {"__id__": manager}})).await;
        let mut want = defaults();
        want.push(("打雜的".into(), 10, true));
        assert_eq!(levels(&app, &org).await, want);
    }

    async fn an_inactive_rank_cannot_be_given_to_a_user(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": manager}})).await;
        let msg = app.err(&org, "user/update", json!({"user": {"__id__": alice, "rank": {"__id__": manager}}}), 409).await;
        assert!(msg.contains("inactive"), "{msg}");
        // So the rank stays empty and can still be inactivated and deleted.
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": manager}})).await;
        app.ok(&org, "rank/delete", json!({"rank": {"__id__": manager}})).await;
    }

    async fn a_rank_with_users_cannot_be_deleted(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let specialist = app.id_of(&org, "rank", "Specialist").await;
        let director = app.id_of(&org, "rank", "Director").await;
        exact_err(&app, &org, "rank/delete", json!({"rank": {"__id__": specialist}}), 409, NON_EMPTY).await;
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": alice}})).await;
        exact_err(&app, &org, "rank/delete", json!({"rank": {"__id__": specialist}}), 409, NON_EMPTY).await;
        assert_eq!(levels(&app, &org).await, defaults());
        app.ok(&org, "user/update", json!({"user": {"__id__": alice, "rank": {"__id__": director}}})).await;
        app.ok(&org, "rank/delete", json!({"rank": {"__id__": specialist}})).await;
        let mut want = defaults();
        want.pop();
        assert_eq!(levels(&app, &org).await, want);
    }

    async fn an_empty_rank_is_deleted_and_its_level_and_name_are_free_again(app) {
        let org = app.org("ACME").await;
        let r = create(&app, &org, "打雜的", 10).await;
        let v = app.ok(&org, "rank/delete", json!({"rank": {"__id__": id(&r)}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(levels(&app, &org).await, defaults());
        app.err(&org, "rank/delete", json!({"rank": {"__id__": id(&r)}}), 404).await;
        // An inactive one too.
        let r = create(&app, &org, "打雜的", 10).await;
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": id(&r)}})).await;
        app.ok(&org, "rank/delete", json!({"rank": {"__id__": id(&r)}})).await;
        assert_eq!(levels(&app, &org).await, defaults());
        // A default rank without users as well; the rest keep their levels.
        let director = app.id_of(&org, "rank", "Director").await;
        app.ok(&org, "rank/delete", json!({"rank": {"__id__": director}})).await;
        let mut want = defaults();
        want.remove(1);
        assert_eq!(levels(&app, &org).await, want);
        create(&app, &org, "Director", 2).await;
        assert_eq!(levels(&app, &org).await, defaults());
    }

    async fn update_renames_and_keeps_the_level(app) {
        let org = app.org("ACME").await;
        let r = create(&app, &org, "打雜的", 10).await;
        let v = app.ok(&org, "rank/update", json!({"rank": {"__id__": id(&r), "name": "新打雜職等"}})).await;
        let u = &v["rank"];
        assert_eq!(u["__id__"], id(&r));
        assert_eq!(u["__model__"], "UserRank");
        assert_eq!(u["name"], "新打雜職等");
        assert_eq!(u["level"], 10);
        assert_eq!(u["is_active"], true);
        assert_eq!(u["organization"]["__id__"], org.id);
        assert_eq!(rank(&app, &org, "新打雜職等").await, *u);
        // Giving the current level is fine; so is keeping the name.
        let v = app.ok(&org, "rank/update", json!({"rank": {"__id__": id(&r), "name": "新打雜職等", "level": 10}})).await;
        assert_eq!(v["rank"]["level"], 10);
        // Renaming an inactive rank keeps it inactive.
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": id(&r)}})).await;
        let v = app.ok(&org, "rank/update", json!({"rank": {"__id__": id(&r), "name": "Odd Jobs"}})).await;
        assert_eq!((v["rank"]["is_active"].clone(), v["rank"]["level"].clone()), (json!(false), json!(10)));
    }

    async fn update_cannot_change_the_level(app) {
        let org = app.org("ACME").await;
        let r = create(&app, &org, "打雜的", 10).await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let before = ranks(&app, &org).await;
        for (rid, level) in [(id(&r), 11), (id(&r), 4), (manager, 1), (manager, 99)] {
            let msg = bad_request(&app, &org, "rank/update", json!({"rank": {"__id__": rid, "name": "Renamed", "level": level}})).await;
            assert!(msg.contains("rank/order"), "{msg}");
        }
        bad_request(&app, &org, "rank/update", json!({"rank": {"__id__": manager, "level": "x"}})).await;
        assert_eq!(ranks(&app, &org).await, before);
    }

    async fn order_hands_out_the_levels_in_the_given_order(app) {
        let org = app.org("ACME").await;
        let exec = app.id_of(&org, "rank", "Executive Officer").await;
        let director = app.id_of(&org, "rank", "Director").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let specialist = app.id_of(&org, "rank", "Specialist").await;
        let odd = id(&create(&app, &org, "打雜的", 10).await);
        // The spec's example.
        let v = app.ok(&org, "rank/order", json!({"rank_order": refs(&[specialist, director, exec, manager, odd])})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        let want = vec![
            ("Specialist".to_string(), 1, true),
            ("Director".into(), 2, true),
            ("Executive Officer".into(), 3, true),
            ("Manager".into(), 4, true),
            ("打雜的".into(), 10, true),
        ];
        assert_eq!(levels(&app, &org).await, want);
        // The set of levels stays {1, 2, 3, 4, 10}: the gap moves with the order.
        app.ok(&org, "rank/order", json!({"rank_order": refs(&[odd, manager, exec, director, specialist])})).await;
        let want = vec![
            ("打雜的".to_string(), 1, true),
            ("Manager".into(), 2, true),
            ("Executive Officer".into(), 3, true),
            ("Director".into(), 4, true),
            ("Specialist".into(), 10, true),
        ];
        assert_eq!(levels(&app, &org).await, want);
        // The same order again changes nothing; refs may carry their model.
        let same: Vec<Value> = [odd, manager, exec, director, specialist].iter().map(|i| json!({"__id__": i, "__model__": "UserRank"})).collect();
        app.ok(&org, "rank/order", json!({"rank_order": same})).await;
        assert_eq!(levels(&app, &org).await, want);
        // Whole listed rank objects are accepted as references.
        let mut listed = ranks(&app, &org).await;
        listed.reverse();
        app.ok(&org, "rank/order", json!({"rank_order": listed})).await;
        let got: Vec<i64> = levels(&app, &org).await.iter().map(|l| l.1).collect();
        assert_eq!(got, [1, 2, 3, 4, 10]);
        assert_eq!(rank(&app, &org, "Specialist").await["level"], 1);
        assert_eq!(rank(&app, &org, "打雜的").await["level"], 10);
        // A freshly free level can then be used by create.
        create(&app, &org, "Five", 5).await;
    }

    async fn order_keeps_users_and_active_flags(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let exec = app.id_of(&org, "rank", "Executive Officer").await;
        let director = app.id_of(&org, "rank", "Director").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let specialist = app.id_of(&org, "rank", "Specialist").await;
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": director}})).await;
        app.ok(&org, "rank/order", json!({"rank_order": refs(&[director, specialist, manager, exec])})).await;
        let want = vec![
            ("Director".to_string(), 1, false),
            ("Specialist".into(), 2, true),
            ("Manager".into(), 3, true),
            ("Executive Officer".into(), 4, true),
        ];
        assert_eq!(levels(&app, &org).await, want);
        let users = app.ok(&org, "user/list", json!({})).await;
        let u = users["users"].as_array().unwrap().iter().find(|u| u["__id__"] == alice).unwrap().clone();
        assert_eq!(u["rank"]["__id__"], specialist, "{u}");
        assert_eq!(u["rank"]["level"], 2, "{u}");
    }

    async fn order_must_list_every_rank_including_inactive_ones(app) {
        let org = app.org("ACME").await;
        let exec = app.id_of(&org, "rank", "Executive Officer").await;
        let director = app.id_of(&org, "rank", "Director").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let specialist = app.id_of(&org, "rank", "Specialist").await;
        let odd = id(&create(&app, &org, "打雜的", 10).await);
        app.ok(&org, "rank/inactivate", json!({"rank": {"__id__": odd}})).await;
        let before = levels(&app, &org).await;
        for order in [vec![specialist, director, exec, manager], vec![odd], vec![]] {
            exact_err(&app, &org, "rank/order", json!({"rank_order": refs(&order)}), 400, MISSING).await;
        }
        assert_eq!(levels(&app, &org).await, before);
        app.ok(&org, "rank/order", json!({"rank_order": refs(&[odd, specialist, director, exec, manager])})).await;
        assert_eq!(rank(&app, &org, "打雜的").await["level"], 1);
        assert_eq!(rank(&app, &org, "打雜的").await["is_active"], false);
    }

    async fn order_of_an_organization_without_ranks_is_an_empty_list(app) {
        let (s, v) = app.omni("organization/create", json!({"api_key": MASTER_KEY, "organization": {"name": "Bare", "abbr": "BARE"}, "default_structure": false})).await;
        assert_eq!(s, 200, "{v}");
        let org = Org { id: v["organization"]["__id__"].as_i64().unwrap(), abbr: "BARE".into(), key: v["organization"]["api_key"].as_str().unwrap().into() };
        app.ok(&org, "rank/order", json!({"rank_order": []})).await;
        let only = id(&create(&app, &org, "Only", 7).await);
        exact_err(&app, &org, "rank/order", json!({"rank_order": []}), 400, MISSING).await;
        app.ok(&org, "rank/order", json!({"rank_order": refs(&[only])})).await;
        assert_eq!(levels(&app, &org).await, [("Only".to_string(), 7, true)]);
    }

    async fn order_refuses_unknown_duplicate_and_foreign_ids(app) {
        let org = app.org("ACME").await;
        let beta = app.org("BETA").await;
        let exec = app.id_of(&org, "rank", "Executive Officer").await;
        let director = app.id_of(&org, "rank", "Director").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let specialist = app.id_of(&org, "rank", "Specialist").await;
        let theirs = app.id_of(&beta, "rank", "Manager").await;
        let before = levels(&app, &org).await;
        let before_theirs = levels(&app, &beta).await;
        // Unknown ids, alone or beside every real one, are not found.
        for order in [vec![specialist, director, exec, manager, 987654321], vec![specialist, director, exec, 987654321], vec![specialist, director, exec, manager, theirs], vec![specialist, director, exec, theirs]] {
            app.err(&org, "rank/order", json!({"rank_order": refs(&order)}), 404).await;
        }
        // Each rank once.
        for order in [vec![specialist, director, exec, manager, manager], vec![specialist, director, exec, exec]] {
            let msg = bad_request(&app, &org, "rank/order", json!({"rank_order": refs(&order)})).await;
            assert!(msg.contains("more than once"), "{msg}");
        }
        assert_eq!(levels(&app, &org).await, before);
        assert_eq!(levels(&app, &beta).await, before_theirs);
    }

    async fn order_refuses_malformed_lists(app) {
        let org = app.org("ACME").await;
        let exec = app.id_of(&org, "rank", "Executive Officer").await;
        let director = app.id_of(&org, "rank", "Director").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let specialist = app.id_of(&org, "rank", "Specialist").await;
        let before = levels(&app, &org).await;
        let msg = bad_request(&app, &org, "rank/order", json!({})).await;
        assert!(msg.contains("rank_order"), "{msg}");
        for order in [
            json!(null),
            json!("1,2,3,4"),
            json!({"__id__": exec}),
            json!([exec, director, manager, specialist]),
            json!([{"__id__": "abc"}, {"__id__": director}, {"__id__": manager}, {"__id__": specialist}]),
            json!([{"__id__": exec, "__model__": "Department"}, {"__id__": director}, {"__id__": manager}, {"__id__": specialist}]),
            json!([{}, {"__id__": director}, {"__id__": manager}, {"__id__": specialist}]),
        ] {
            bad_request(&app, &org, "rank/order", json!({"rank_order": order})).await;
        }
        let msg = bad_request(&app, &org, "rank/order", json!({"rank_order": [{"__id__": "abc"}]})).await;
        assert!(msg.contains("rank_order"), "{msg}");
        assert_eq!(levels(&app, &org).await, before);
    }

    async fn another_organizations_ranks_are_not_found_and_stay_unchanged(app) {
        let org = app.org("ACME").await;
        let beta = app.org("BETA").await;
        let theirs = id(&create(&app, &beta, "Empty", 10).await);
        let their_manager = app.id_of(&beta, "rank", "Manager").await;
        let before = levels(&app, &org).await;
        let before_theirs = ranks(&app, &beta).await;
        for path in ["rank/update", "rank/activate", "rank/inactivate", "rank/delete"] {
            for rid in [theirs, their_manager] {
                let msg = app.err(&org, path, json!({"rank": {"__id__": rid, "name": "Hijacked"}}), 404).await;
                assert!(msg.contains(&rid.to_string()), "{msg}");
            }
        }
        app.err(&org, "rank/update", json!({"rank": {"__id__": theirs, "name": "Hijacked", "level": 10}}), 404).await;
        app.err(&org, "rank/update", json!({"rank": {"__id__": theirs, "level": 3}}), 404).await;
        assert_eq!(levels(&app, &org).await, before);
        assert_eq!(ranks(&app, &beta).await, before_theirs);
        assert!(ranks(&app, &org).await.iter().all(|r| r["organization"]["__id__"] == org.id));
    }

    async fn unknown_ids_are_not_found(app) {
        let org = app.org("ACME").await;
        for path in ["rank/update", "rank/activate", "rank/inactivate", "rank/delete"] {
            let msg = app.err(&org, path, json!({"rank": {"__id__": 987654321, "name": "X"}}), 404).await;
            assert!(msg.contains("987654321"), "{msg}");
        }
        assert_eq!(levels(&app, &org).await, defaults());
    }

    async fn a_wrong_model_is_refused(app) {
        let org = app.org("ACME").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let msg = bad_request(&app, &org, "rank/create", json!({"rank": {"__model__": "Department", "name": "X", "level": 9}})).await;
        assert!(msg.contains("__model__"), "{msg}");
        for path in ["rank/update", "rank/activate", "rank/inactivate", "rank/delete"] {
            let msg = bad_request(&app, &org, path, json!({"rank": {"__model__": "Rank", "__id__": manager, "name": "X"}})).await;
            assert!(msg.contains("__model__"), "{path}: {msg}");
        }
        assert_eq!(levels(&app, &org).await, defaults());
    }

    async fn wrong_types_give_400_in_the_omnibpm_error_form(app) {
        let org = app.org("ACME").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        for path in ["rank/update", "rank/activate", "rank/inactivate", "rank/delete"] {
            let msg = bad_request(&app, &org, path, json!({"rank": {"__id__": "abc"}})).await;
            assert!(msg.contains("rank.__id__"), "{path}: {msg}");
            bad_request(&app, &org, path, json!({"rank": {"__id__": 2.5}})).await;
            bad_request(&app, &org, path, json!({"rank": "Manager"})).await;
            bad_request(&app, &org, path, json!({"rank": manager})).await;
            let msg = bad_request(&app, &org, path, json!({"rank": {"name": "X"}})).await;
            assert!(msg.contains("__id__"), "{path}: {msg}");
            let msg = bad_request(&app, &org, path, json!({})).await;
            assert!(msg.contains("rank"), "{path}: {msg}");
        }
        bad_request(&app, &org, "rank/update", json!({"rank": {"__id__": manager, "name": ["X"]}})).await;
        bad_request(&app, &org, "rank/update", json!({"rank": {"__id__": manager, "__client_extra__": "x"}})).await;
        bad_request(&app, &org, "rank/create", json!({"rank": {"name": "X", "level": 9, "__client_extra__": 5}})).await;
        assert_eq!(levels(&app, &org).await, defaults());
    }

    async fn a_listed_rank_sent_back_to_update_is_accepted(app) {
        let org = app.org("ACME").await;
        let mut r = rank(&app, &org, "Manager").await;
        r["name"] = json!("Team Lead");
        let v = app.ok(&org, "rank/update", json!({"rank": r})).await;
        assert_eq!(v["rank"]["name"], "Team Lead");
        assert_eq!(v["rank"]["level"], 3);
    }

    async fn client_extra_is_kept_and_must_be_an_object(app) {
        let org = app.org("ACME").await;
        let v = app.ok(&org, "rank/create", json!({"rank": {"name": "X", "level": 9, "__client_extra__": {"color": "red"}}})).await;
        assert_eq!(v["rank"]["__client_extra__"], json!({"color": "red"}));
        let rid = id(&v["rank"]);
        assert_eq!(rank(&app, &org, "X").await["__client_extra__"], json!({"color": "red"}));
        let v = app.ok(&org, "rank/update", json!({"rank": {"__id__": rid, "name": "Y"}})).await;
        assert_eq!(v["rank"]["__client_extra__"], json!({"color": "red"}));
        let v = app.ok(&org, "rank/update", json!({"rank": {"__id__": rid, "__client_extra__": {"color": "blue"}}})).await;
        assert_eq!((v["rank"]["name"].clone(), v["rank"]["__client_extra__"].clone()), (json!("Y"), json!({"color": "blue"})));
        bad_request(&app, &org, "rank/update", json!({"rank": {"__id__": rid, "__client_extra__": [1]}})).await;
        assert_eq!(rank(&app, &org, "Y").await["__client_extra__"], json!({"color": "blue"}));
    }

    async fn concurrent_order_and_create_keep_levels_positive_and_unique(app) {
        let org = app.org("ACME").await;
        for round in 0..40i64 {
            let mut ids: Vec<i64> = ranks(&app, &org).await.iter().map(id).collect();
            ids.reverse();
            let order = json!({"api_key": org.key, "rank_order": refs(&ids)});
            let new = json!({"api_key": org.key, "rank": {"name": format!("R{round}"), "level": 1000 + round}});
            let ((s1, v1), (s2, v2)) = tokio::join!(app.omni("rank/order", order), app.omni("rank/create", new));
            assert!(s1 == 200 || (s1 == 400 && v1["RMSG"] == MISSING), "round {round}: {s1} {v1}");
            assert_eq!(s2, 200, "round {round}: {v2}");
            let got: Vec<i64> = levels(&app, &org).await.iter().map(|l| l.1).collect();
            let mut unique = got.clone();
            unique.dedup();
            assert_eq!(unique, got, "round {round}");
            assert!(got.iter().all(|l| *l >= 1), "round {round}: levels {got:?}");
            assert_eq!(got.len() as i64, 5 + round, "round {round}");
        }
    }

    async fn concurrent_orders_both_apply_one_after_the_other(app) {
        let org = app.org("ACME").await;
        let ids: Vec<i64> = ranks(&app, &org).await.iter().map(id).collect();
        let reversed: Vec<i64> = ids.iter().rev().copied().collect();
        let rotated: Vec<i64> = ids[1..].iter().chain(&ids[..1]).copied().collect();
        for round in 0..20 {
            let body = |order: &[i64]| json!({"api_key": org.key, "rank_order": refs(order)});
            let ((s1, v1), (s2, v2)) = tokio::join!(
                app.omni("rank/order", body(&reversed)),
                app.omni("rank/order", body(&rotated)),
            );
            assert_eq!((s1, s2), (200, 200), "round {round}: {v1} / {v2}");
            let got: Vec<i64> = ranks(&app, &org).await.iter().map(id).collect();
            assert!(got == reversed || got == rotated, "round {round}: {got:?}");
            let got: Vec<i64> = levels(&app, &org).await.iter().map(|l| l.1).collect();
            assert_eq!(got, [1, 2, 3, 4], "round {round}");
        }
    }

    async fn rank_endpoints_need_the_organization_key(app) {
        let org = app.org("ACME").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        for path in ["rank/list", "rank/create", "rank/update", "rank/activate", "rank/inactivate", "rank/delete", "rank/order"] {
            let body = json!({"rank": {"__id__": manager, "name": "X", "level": 9}, "rank_order": []});
            let (s, v) = app.omni(path, body.clone()).await;
            assert_eq!((s, v["RESPONSE"].as_str()), (401, Some("ERR")), "{path}");
            let mut with_master = body.clone();
            with_master["api_key"] = json!(MASTER_KEY);
            let (s, _) = app.omni(path, with_master).await;
            assert_eq!(s, 401, "{path}");
        }
        assert_eq!(levels(&app, &org).await, defaults());
    }

    async fn inactivating_a_rank_races_safely_with_placing_a_user_in_it(app) {
        // Whichever wins, an inactive rank never ends up with a user.
        let org = app.org("ACME").await;
        let dept = app.id_of(&org, "department", "MIS Department").await;
        for i in 0..8 {
            let r = id(&create(&app, &org, &format!("Temp {i}"), 100 + i).await);
            let mut inactivate = json!({"rank": {"__id__": r}});
            inactivate["api_key"] = json!(org.key);
            let user = json!({"api_key": org.key, "user": {
                "username": format!("racer{i}@ACME"), "display_name": "Racer",
                "email": format!("racer{i}@example.com"),
                "rank": {"__id__": r}, "department": {"__id__": dept}}});
            let ((s1, _), (s2, _)) = tokio::join!(
                app.omni("rank/inactivate", inactivate),
                app.omni("user/create", user)
            );
            let rank = rank(&app, &org, &format!("Temp {i}")).await;
            let users = app.ok(&org, "user/list", json!({})).await;
            let placed = users["users"].as_array().unwrap().iter().any(|u| u["rank"]["__id__"] == r);
            assert!(!(rank["is_active"] == false && placed), "round {i}: inactive rank with a user ({s1}, {s2})");
            assert!(s1 == 200 || s2 == 200, "round {i}: one of them succeeds ({s1}, {s2})");
        }
    }
}
