path "hvs.short" {}
