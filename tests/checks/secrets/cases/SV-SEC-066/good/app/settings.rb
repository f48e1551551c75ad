DB = "postgres://app:${DB_PASSWORD}@db.internal/app"
DOC = "postgres://user:password@db.example.com/app"
