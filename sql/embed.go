// Package sql embeds crmhub's SQL models and reference tables so the binary
// carries them; a project folder can override them without a rebuild.
// Import it as sqlmodels: the name sql is taken by database/sql.
package sql

import "embed"

// Models holds every model (*.sql) and reference table (ref/*.csv).
//
//go:embed macros staging match cluster golden outbox report ref
var Models embed.FS
