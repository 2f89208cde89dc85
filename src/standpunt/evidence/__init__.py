"""Adding to a workspace's evidence: Zotero's CSL-JSON imported, works fetched by DOI, both
written as CSL-YAML with readable keys. Reading the evidence is :mod:`standpunt.workspace`'s."""
