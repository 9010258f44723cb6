"""Anonymous concern reports (匿名反映问题线索): store, crypto, review."""
