stripe("sk_test_SievertFakenjLgLBRTiUzOe")
