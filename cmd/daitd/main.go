// Command daitd is the daitchain node and CLI.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/daitchain/daitchain/app"
	"github.com/daitchain/daitchain/cmd/daitd/cmd"
)

func main() {
	if err := svrcmd.Execute(cmd.NewRootCmd(), "DAITD", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(os.Stderr, err.Error()) // %v would append the source location
		os.Exit(1)
	}
}
