// Package appopts reads node options (app.toml keys or daitd start flags)
// that the modules' depinject providers take.
package appopts

import (
	"fmt"

	"github.com/spf13/cast"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
)

// Uint64 reads key as a non-negative integer, 0 when opts or the key is
// absent. A value that is not one stops the node at start with a clear
// message (it runs while the app is built, before any block).
func Uint64(opts servertypes.AppOptions, key string) uint64 {
	if opts == nil {
		return 0
	}
	v := opts.Get(key)
	if v == nil {
		return 0
	}
	n, err := cast.ToUint64E(v)
	if err != nil {
		panic(fmt.Errorf("%s: %w", key, err))
	}
	return n
}
