//! Reference data for the end-to-end tests: a small, valid set of CSV files for the fixture's
//! organisation `andes` (accents and emoji included), and the admin API's import.
//!
//! With these files, account `acme`'s catalog holds stores `J001` (its own assortment row
//! overrides the cluster's) and `L001` (cluster `norte`, and a visit plan), products
//! [`MILK`] and [`RIVAL`] from the assortment and [`YOGURT`] as an own product, contact `c1`
//! and plans `p1`, `p2`. Account `beta`'s holds store `J002`, product [`COLA`], contact `c2`
//! and plan `p3`.

use std::net::SocketAddr;

use crate::http::{HttpResponse, request_bytes};

/// A GTIN-13 from its first twelve digits, with the GS1 check digit.
pub fn gtin13(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Acme's milk (own, in the assortment).
pub const MILK: &str = "780000000001";
/// Acme's yogurt (own, in no assortment).
pub const YOGURT: &str = "780000000002";
/// A competitor's milk (in acme's assortment).
pub const RIVAL: &str = "780000000003";
/// Beta's cola.
pub const COLA: &str = "780000000004";

/// `stores.csv`.
pub fn stores() -> String {
    "code,name,chain,format,address,region,lat,lon,cluster\n\
     J001,\"Jumbo Costanera, Ñuñoa\",Jumbo,hiper,Av. Andrés Bello 2425,RM,-33.417,-70.606,norte\n\
     J002,Jumbo Viña 🍇,Jumbo,hiper,Av. Libertad 1348,Valparaíso,,,costa\n\
     L001,Líder Maipú,Líder,express,Pajaritos 3200,RM,,,norte\n"
        .to_owned()
}

/// `products.csv`, with `milk_name` as the name of acme's milk.
pub fn products(milk_name: &str) -> String {
    format!(
        "gtin,name,brand,category,owner_account\n\
         {},{milk_name},Acme,Lácteos,acme\n\
         {},Yogur Frutilla Acme,Acme,Lácteos,acme\n\
         {},Leche Rival,Rival,Lácteos,\n\
         {},Bebida Beta Cola,Beta,Bebidas,beta\n",
        gtin13(MILK),
        gtin13(YOGURT),
        gtin13(RIVAL),
        gtin13(COLA)
    )
}

/// The first name of acme's milk.
pub const MILK_NAME: &str = "Leche Entera Acme 1L 🥛";

/// `assortments.csv`.
pub fn assortments() -> String {
    format!(
        "account,store,gtin,must_stock,target_facings,target_price,currency\n\
         acme,cluster:norte,{milk},true,4,1290,CLP\n\
         acme,J001,{milk},yes,6,1190,CLP\n\
         acme,J001,{rival},no,,,\n\
         beta,J002,{cola},1,3,990,CLP\n",
        milk = gtin13(MILK),
        rival = gtin13(RIVAL),
        cola = gtin13(COLA)
    )
}

/// `contacts.csv`.
pub fn contacts() -> String {
    "account,id,name,title,email\n\
     acme,c1,María José Peña,Brand Manager,mj.pena@acme.cl\n\
     beta,c2,Zoë Ñúñez 😀,Trade Marketing,zoe@beta.cl\n"
        .to_owned()
}

/// `visit-plans.csv`.
pub fn visit_plans() -> String {
    "account,id,user,store,weekday,every_weeks,starts_on,ends_on,note\n\
     acme,p1,jr,L001,monday,1,2026-03-02,,Revisar góndola 🧀\n\
     acme,p2,ae,,Friday,2,2026-03-06,2026-12-31,Reunión con cliente\n\
     beta,p3,outsider,J002,tuesday,1,2026-03-03,,\n"
        .to_owned()
}

/// Every file, in the order they must be imported.
pub fn all_files() -> Vec<(&'static str, String)> {
    vec![
        ("stores", stores()),
        ("products", products(MILK_NAME)),
        ("assortments", assortments()),
        ("contacts", contacts()),
        ("visit-plans", visit_plans()),
    ]
}

/// `POST /v1/admin/reference/{kind}/import` with `csv` as `token`'s user.
pub async fn import(addr: SocketAddr, token: Option<&str>, kind: &str, csv: &str) -> HttpResponse {
    request_bytes(
        addr,
        "POST",
        &format!("/v1/admin/reference/{kind}/import"),
        token,
        "text/csv; charset=utf-8",
        csv.as_bytes(),
    )
    .await
    .expect("the server answers")
}

/// Imports every file as `token`'s user, asserting each is accepted.
pub async fn import_all(addr: SocketAddr, token: &str) {
    for (kind, csv) in all_files() {
        let answer = import(addr, Some(token), kind, &csv).await;
        assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
    }
}
