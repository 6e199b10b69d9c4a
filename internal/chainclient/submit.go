// Package chainclient signs, broadcasts and follows transactions for the
// off-chain programs (tenant client, provider daemon) with a real keyring.
package chainclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
)

// TxError is a transaction that the chain refused (in CheckTx or when it
// was executed). Codespace and Code identify the registered error.
type TxError struct {
	Hash      string
	Codespace string
	Code      uint32
	Log       string
}

func (e *TxError) Error() string {
	return fmt.Sprintf("tx %s refused (%s %d): %s", e.Hash, e.Codespace, e.Code, e.Log)
}

// Submitter signs with the client context's from key and waits for blocks.
// It is safe for concurrent use: submissions are serialised from signing to
// inclusion, since each signs with the account's next sequence as the
// chain's committed state gives it.
type Submitter struct {
	mu      sync.Mutex
	ctx     client.Context
	factory tx.Factory
	// Poll is how often inclusion is checked; Timeout bounds the wait.
	Poll    time.Duration
	Timeout time.Duration
}

// NewSubmitter takes a client context (keyring, from, node, chain id) and a
// tx factory (gas, fees, sign mode), as built from the CLI flags.
func NewSubmitter(clientCtx client.Context, factory tx.Factory) *Submitter {
	return &Submitter{ctx: clientCtx, factory: factory, Poll: 300 * time.Millisecond, Timeout: 60 * time.Second}
}

// Submit estimates gas when the factory asks for it, signs, broadcasts and
// waits until the tx is in a block. A refusal is a *TxError.
func (s *Submitter) Submit(ctx context.Context, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	txf, err := s.factory.Prepare(s.ctx)
	if err != nil {
		return nil, err
	}
	if txf.SimulateAndExecute() {
		_, adjusted, err := tx.CalculateGas(s.ctx, txf, msgs...)
		if err != nil {
			return nil, fmt.Errorf("estimating gas: %w", err)
		}
		txf = txf.WithGas(adjusted)
	}
	unsigned, err := txf.BuildUnsignedTx(msgs...)
	if err != nil {
		return nil, err
	}
	if err := tx.Sign(ctx, txf, s.ctx.FromName, unsigned, true); err != nil {
		return nil, err
	}
	bz, err := s.ctx.TxConfig.TxEncoder()(unsigned.GetTx())
	if err != nil {
		return nil, err
	}
	res, err := s.ctx.WithBroadcastMode("sync").BroadcastTx(bz)
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return res, &TxError{Hash: res.TxHash, Codespace: res.Codespace, Code: res.Code, Log: res.RawLog}
	}
	return s.Wait(ctx, res.TxHash)
}

// Wait polls until the tx is in a block.
func (s *Submitter) Wait(ctx context.Context, hash string) (*sdk.TxResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	for {
		res, err := authtx.QueryTx(s.ctx, hash)
		if err == nil {
			if res.Code != 0 {
				return res, &TxError{Hash: res.TxHash, Codespace: res.Codespace, Code: res.Code, Log: res.RawLog}
			}
			return res, nil
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(fmt.Errorf("tx %s not included: %w", hash, ctx.Err()), err)
		case <-t.C:
		}
	}
}

// MsgResponse decodes the response of message i of a delivered tx.
func MsgResponse(clientCtx client.Context, res *sdk.TxResponse, i int, out interface{ Unmarshal([]byte) error }) error {
	data, err := decodeData(clientCtx, res.Data)
	if err != nil {
		return err
	}
	if i >= len(data.MsgResponses) {
		return fmt.Errorf("tx %s has %d message responses, want index %d", res.TxHash, len(data.MsgResponses), i)
	}
	return out.Unmarshal(data.MsgResponses[i].Value)
}
