package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// CreateDeployment is MsgCreateDeployment: the deployment and its groups
// are stored, each group OPEN with its own escrow; the deposits move from
// the owner to the module account in one transfer.
func (k Keeper) CreateDeployment(ctx context.Context, msg *types.MsgCreateDeployment) (uint64, []uint64, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, nil, err
	}
	total := math.ZeroInt()
	for _, spec := range msg.Groups {
		if err := checkGroupSpec(params, spec, height(ctx)); err != nil {
			return 0, nil, err
		}
		if total, err = types.SafeAdd("deposits of the groups", total, spec.Deposit.Amount); err != nil {
			return 0, nil, err
		}
	}
	if err := k.pull(ctx, msg.Owner, sdk.NewCoin(types.Denom, total)); err != nil {
		return 0, nil, err
	}
	id, err := nextID(ctx, k.deploymentSeq)
	if err != nil {
		return 0, nil, err
	}
	h := height(ctx)
	d := types.Deployment{Id: id, Owner: msg.Owner, Version: msg.Version, State: types.DeploymentActive, CreatedHeight: h, UpdatedHeight: h}
	if err := k.deployments.Set(ctx, id, d); err != nil {
		return 0, nil, err
	}
	if err := emit(ctx, &types.EventDeploymentCreated{Id: id, Owner: d.Owner, Version: d.Version}); err != nil {
		return 0, nil, err
	}
	groupIDs := make([]uint64, 0, len(msg.Groups))
	for _, spec := range msg.Groups {
		gid, err := k.openGroup(ctx, params, d, spec)
		if err != nil {
			return 0, nil, err
		}
		groupIDs = append(groupIDs, gid)
	}
	return id, groupIDs, nil
}

// ownedDeployment loads a deployment and checks the signer owns it.
func (k Keeper) ownedDeployment(ctx context.Context, owner string, id uint64) (types.Deployment, error) {
	d, err := k.GetDeployment(ctx, id)
	if err != nil {
		return d, err
	}
	return d, requireSigner(owner, d.Owner, "deployment", id)
}

// UpdateDeployment is MsgUpdateDeployment: a new manifest hash. Providers
// follow EventDeploymentUpdated to fetch the new manifest.
func (k Keeper) UpdateDeployment(ctx context.Context, msg *types.MsgUpdateDeployment) error {
	d, err := k.ownedDeployment(ctx, msg.Owner, msg.DeploymentId)
	if err != nil {
		return err
	}
	if d.State != types.DeploymentActive {
		return errorsmod.Wrapf(types.ErrDeploymentClosed, "deployment %d", d.Id)
	}
	d.Version = msg.Version
	d.UpdatedHeight = height(ctx)
	if err := k.deployments.Set(ctx, d.Id, d); err != nil {
		return err
	}
	return emit(ctx, &types.EventDeploymentUpdated{Id: d.Id, Owner: d.Owner, Version: d.Version})
}

// CloseDeployment is MsgCloseDeployment: every group closes (leases
// closed, bids LOST, escrow refunded) and the deployment is CLOSED.
func (k Keeper) CloseDeployment(ctx context.Context, msg *types.MsgCloseDeployment) error {
	d, err := k.ownedDeployment(ctx, msg.Owner, msg.DeploymentId)
	if err != nil {
		return err
	}
	if d.State != types.DeploymentActive {
		return errorsmod.Wrapf(types.ErrDeploymentClosed, "deployment %d", d.Id)
	}
	ids, err := idsOf(ctx, k.groups.Indexes.Deployment, d.Id)
	if err != nil {
		return err
	}
	for _, id := range ids {
		g, err := k.GetGroup(ctx, id)
		if err != nil {
			return err
		}
		if g.State == types.GroupClosed {
			continue
		}
		if g, err = k.catchUpGroup(ctx, g); err != nil {
			return err
		}
		if err := k.closeGroup(ctx, g, types.CloseReasonDeploymentClosed); err != nil {
			return err
		}
	}
	d.State = types.DeploymentClosed
	d.ClosedHeight = height(ctx)
	if err := k.deployments.Set(ctx, d.Id, d); err != nil {
		return err
	}
	if err := k.queuePrune(ctx, types.PruneDeployment, d.Id, d.ClosedHeight); err != nil {
		return err
	}
	return emit(ctx, &types.EventDeploymentClosed{Id: d.Id, Owner: d.Owner})
}
