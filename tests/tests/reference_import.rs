//! Reference data through the admin API: every kind imports; a file with bad lines changes
//! nothing and names every bad line; importing the same file again changes nothing; accents and
//! emoji come back as written; admins manage their organisation, directors the rows of the
//! accounts they direct, and nobody else anything.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use enlace_server::directory::{Directory, Role};
use enlace_tests::PATIENCE;
use enlace_tests::fixture;
use enlace_tests::http::{HttpResponse, call, request};
use enlace_tests::process::ServerProcess;
use enlace_tests::reference::{self, COLA, MILK, MILK_NAME, gtin13, import};
use serde_json::Value;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_enlace-test-server"))
}

async fn list(addr: SocketAddr, token: &str, kind: &str) -> Vec<Value> {
    let answer = call(
        addr,
        "GET",
        &format!("/v1/admin/reference/{kind}?limit=1000"),
        token,
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn lines(answer: &HttpResponse) -> Vec<(u64, String)> {
    assert_eq!(answer.status, 422, "{}", answer.body);
    answer.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("line"),
                e["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect()
}

/// An admin of `pampa`, the other organisation, and their token.
fn pampa_admin(data: &Path) -> String {
    let d = Directory::open_in(data).expect("directory");
    let pampa = "pampa".parse().expect("org");
    let user = d
        .create_user(
            &pampa,
            Some("padmin".parse().expect("id")),
            "P",
            "p@pampa.cl",
            Role::Admin,
        )
        .expect("user");
    d.issue_token(&pampa, &user, Duration::from_secs(3600), "test")
        .expect("token")
        .token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_are_whole_idempotent_and_kept_within_the_organisation() {
    let data = tempfile::tempdir().expect("data");
    let agency = fixture::seed(data.path());
    let foreign_admin = pampa_admin(data.path());
    let server = ServerProcess::spawn_authenticated(binary(), data.path(), &[], PATIENCE);
    let addr = server.addr;
    let admin = agency.token("admin");

    // Every kind imports, and comes back as written.
    for (kind, csv) in reference::all_files() {
        let answer = import(addr, Some(admin), kind, &csv).await;
        assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
        let rows = csv.lines().count() as u64 - 1;
        assert_eq!(answer.json()["changed"], rows, "{kind}");
        assert_eq!(answer.json()["unchanged"], 0, "{kind}");
    }
    let products = list(addr, admin, "products").await;
    assert_eq!(products.len(), 4);
    let milk = products
        .iter()
        .find(|p| p["gtin"] == gtin13(MILK))
        .expect("milk");
    assert_eq!(milk["name"], MILK_NAME, "accents and emoji as written");
    let stores = list(addr, admin, "stores").await;
    assert_eq!(stores[0]["name"], "Jumbo Costanera, Ñuñoa");
    let contacts = list(addr, admin, "contacts").await;
    assert_eq!(contacts[1]["name"], "Zoë Ñúñez 😀");
    let assortments = list(addr, admin, "assortments").await;
    assert_eq!(assortments.len(), 4);
    assert!(assortments.iter().any(|a| a["store"] == "cluster:norte"));

    // The same files again change nothing.
    for (kind, csv) in reference::all_files() {
        let answer = import(addr, Some(admin), kind, &csv).await;
        assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
        assert_eq!(answer.json()["changed"], 0, "{kind}");
    }

    // A file with bad lines changes nothing, and names each of them.
    let bad = format!(
        "gtin,name,brand,category,owner_account\n\
         {},Renamed milk,Acme,Lácteos,acme\n\
         1234567890123,Bad check digit,,,\n\
         {},,Acme,,\n\
         {},Owned by nobody known,X,Y,zeta\n\
         {},Renamed milk again,Acme,Lácteos,acme\n\
         7,too,few\n",
        gtin13(MILK),
        gtin13("780000000010"),
        gtin13("780000000011"),
        gtin13(MILK),
    );
    let errors = lines(&import(addr, Some(admin), "products", &bad).await);
    let numbers: Vec<u64> = errors.iter().map(|(line, _)| *line).collect();
    assert_eq!(numbers, [3, 4, 6, 7], "{errors:?}");
    assert!(errors[0].1.contains("check digit"), "{errors:?}");
    assert!(errors[1].1.contains("name"), "{errors:?}");
    assert!(errors[2].1.contains("line 2"), "{errors:?}");
    // References are checked once the lines parse: an unknown owner account.
    let unknown_owner = format!(
        "gtin,name,brand,category,owner_account\n{},Renamed milk,Acme,Lácteos,acme\n{},X,X,X,zeta\n",
        gtin13(MILK),
        gtin13("780000000011"),
    );
    let errors = lines(&import(addr, Some(admin), "products", &unknown_owner).await);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, 3);
    assert!(errors[0].1.contains("zeta"), "{errors:?}");
    let products = list(addr, admin, "products").await;
    assert_eq!(products.len(), 4, "nothing of a refused file is kept");
    assert!(products.iter().any(|p| p["name"] == MILK_NAME));
    // A wrong header is line 1.
    let errors = lines(&import(addr, Some(admin), "stores", "code,name\nX,Y\n").await);
    assert_eq!(errors[0].0, 1);

    // A director imports rows of the accounts they direct (acme), not of others, and no
    // stores or products.
    let director = agency.token("dir");
    let ok = "account,id,name,title,email\nacme,c9,Nuevo Contacto,KAM,nuevo@acme.cl\n";
    let answer = import(addr, Some(director), "contacts", ok).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["changed"], 1);
    let mixed = "account,id,name,title,email\nacme,c10,A,B,a@acme.cl\nbeta,c11,C,D,c@beta.cl\n";
    let errors = lines(&import(addr, Some(director), "contacts", mixed).await);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, 3);
    assert!(errors[0].1.contains("beta"), "{errors:?}");
    let answer = import(addr, Some(director), "stores", &reference::stores()).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    let directed = list(addr, director, "contacts").await;
    assert!(
        directed.iter().all(|c| c["account"] == "acme"),
        "a director lists only their accounts' rows: {directed:?}"
    );

    // Executives, unauthenticated callers and another organisation's admin cannot touch it.
    for user in ["jr", "ae", "sup", "mgmt"] {
        let answer = import(addr, Some(agency.token(user)), "contacts", ok).await;
        assert_eq!(answer.status, 403, "{user}: {}", answer.body);
        let listed = call(
            addr,
            "GET",
            "/v1/admin/reference/contacts",
            agency.token(user),
            None,
        )
        .await;
        assert_eq!(listed.status, 403, "{user}");
    }
    let answer = import(addr, None, "contacts", ok).await;
    assert_eq!(answer.status, 401);
    let answer = request(addr, "GET", "/v1/admin/reference/stores", None, None)
        .await
        .expect("answer");
    assert_eq!(answer.status, 401);
    assert!(
        list(addr, &foreign_admin, "stores").await.is_empty(),
        "pampa sees none of andes"
    );
    let errors = lines(&import(addr, Some(&foreign_admin), "contacts", ok).await);
    assert!(errors[0].1.contains("no account acme"), "{errors:?}");
    let answer = call(
        addr,
        "DELETE",
        "/v1/admin/reference/contacts/acme/c1",
        &foreign_admin,
        None,
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        list(addr, admin, "contacts").await.len(),
        3,
        "andes keeps its contacts"
    );

    // Single deletes: a contact goes; a store still in an assortment stays (409).
    let answer = call(
        addr,
        "DELETE",
        "/v1/admin/reference/contacts/acme/c9",
        admin,
        None,
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let answer = call(
        addr,
        "DELETE",
        "/v1/admin/reference/stores/J002",
        admin,
        None,
    )
    .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    let answer = call(
        addr,
        "DELETE",
        &format!("/v1/admin/reference/assortments/beta/J002/{}", gtin13(COLA)),
        admin,
        None,
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let answer = call(addr, "DELETE", "/v1/admin/reference/nothing/x", admin, None).await;
    assert_eq!(answer.status, 404);
}
