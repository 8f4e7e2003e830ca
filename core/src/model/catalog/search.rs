//! Text folding for product search: what an executive types on a phone keyboard often lacks
//! the accents and capitals of the catalog's names ("galleta triton" for "Galleta Tritón").

/// `text` in lower case with the accents of Spanish, Portuguese and French letters removed
/// (á -> a, ñ -> n, ç -> c). Other characters are kept as they are.
pub(super) fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ý' | 'ÿ' => 'y',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_drops_case_and_accents() {
        assert_eq!(fold("Galleta TRITÓN Ñandú"), "galleta triton nandu");
        assert_eq!(fold("7801"), "7801");
        assert_eq!(fold("Çà et là"), "ca et la");
    }
}
