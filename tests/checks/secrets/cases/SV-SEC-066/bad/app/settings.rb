DB = "postgres://app:SievertFakeOze@db.internal:5432/app"
