// Package dbfam is the database targets' family binary's command list
// (cmd/rotation-pack-db). The targets read secrets only through the
// <store>-get helpers, so this family links no store SDK.
package dbfam

import (
	"github.com/kestra-rotation/rotation-pack/rotators/mysql"
	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/postgres"
	"github.com/kestra-rotation/rotation-pack/rotators/redis"
)

// Family is rotation-pack-db: the postgres-*, mysql-* and redis-* commands.
func Family() pack.Family {
	cmds := pack.TargetCommands(postgres.Spec())
	cmds = append(cmds, pack.TargetCommands(mysql.Spec())...)
	cmds = append(cmds, pack.TargetCommands(redis.Spec())...)
	return pack.Family{Name: pack.Name + "-db", Commands: cmds}
}
