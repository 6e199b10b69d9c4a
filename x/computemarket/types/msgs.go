package types

import (
	errorsmod "cosmossdk.io/errors"
)

// ValidateBasic holds the stateless checks of every message. baseapp runs
// them before a message reaches the keeper, and the msg server runs them
// again so that direct keeper calls get the same errors.

func (m *MsgUpdateParams) ValidateBasic() error {
	if err := ValidateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

func (m *MsgCreateProvider) ValidateBasic() error {
	return validateProviderFields(m.Owner, m.HostUri, m.Attributes, m.Info, m.TlsCertSha256)
}

func (m *MsgUpdateProvider) ValidateBasic() error {
	return validateProviderFields(m.Owner, m.HostUri, m.Attributes, m.Info, m.TlsCertSha256)
}

// CertHashLen is the length of a gateway certificate's fingerprint (sha256).
const CertHashLen = 32

// ValidateCertHash accepts an empty fingerprint (no gateway) or a sha256.
func ValidateCertHash(h []byte) error {
	if len(h) != 0 && len(h) != CertHashLen {
		return errorsmod.Wrapf(ErrInvalidCertHash, "tls_cert_sha256 is %d bytes; want %d (a sha256) or none", len(h), CertHashLen)
	}
	return nil
}

func validateProviderFields(owner, hostURI string, attrs []Attribute, info ProviderInfo, certHash []byte) error {
	if err := ValidateCertHash(certHash); err != nil {
		return err
	}
	if err := ValidateAddress("owner", owner); err != nil {
		return err
	}
	if err := ValidateHostURI(hostURI); err != nil {
		return err
	}
	if err := ValidateAttributes(attrs, true); err != nil {
		return err
	}
	return info.Validate()
}

func (m *MsgAuditAttribute) ValidateBasic() error {
	if err := ValidateAddress("auditor", m.Auditor); err != nil {
		return err
	}
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	return ValidateAttributes(m.Attributes, false)
}

func (m *MsgRevokeAttribute) ValidateBasic() error {
	if err := ValidateAddress("auditor", m.Auditor); err != nil {
		return err
	}
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if len(m.Keys) == 0 || len(m.Keys) > MaxAttributes {
		return errorsmod.Wrapf(ErrInvalidAttribute, "keys: give 1..%d keys to revoke", MaxAttributes)
	}
	seen := make(map[string]struct{}, len(m.Keys))
	for _, k := range m.Keys {
		if err := ValidateAttributeKey(k); err != nil {
			return err
		}
		if _, dup := seen[k]; dup {
			return errorsmod.Wrapf(ErrInvalidAttribute, "key %q appears twice", k)
		}
		seen[k] = struct{}{}
	}
	return nil
}

func (m *MsgCreateDeployment) ValidateBasic() error {
	if err := ValidateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := ValidateVersion(m.Version); err != nil {
		return err
	}
	if len(m.Groups) == 0 || len(m.Groups) > MaxGroupsPerDeploy {
		return errorsmod.Wrapf(ErrInvalidDeploymentMsg, "groups: a deployment has 1..%d groups, got %d", MaxGroupsPerDeploy, len(m.Groups))
	}
	names := make(map[string]struct{}, len(m.Groups))
	for _, g := range m.Groups {
		if err := g.Validate(); err != nil {
			return err
		}
		if _, dup := names[g.Name]; dup {
			return errorsmod.Wrapf(ErrInvalidGroupSpec, "group name %q appears twice", g.Name)
		}
		names[g.Name] = struct{}{}
	}
	return nil
}

func (m *MsgUpdateDeployment) ValidateBasic() error {
	if err := validateOwnerAndID(m.Owner, "deployment_id", m.DeploymentId); err != nil {
		return err
	}
	return ValidateVersion(m.Version)
}

func (m *MsgCloseDeployment) ValidateBasic() error {
	return validateOwnerAndID(m.Owner, "deployment_id", m.DeploymentId)
}

func (m *MsgDepositDeployment) ValidateBasic() error {
	if err := validateOwnerAndID(m.Owner, "group_id", m.GroupId); err != nil {
		return err
	}
	return ValidateUdait("amount", m.Amount)
}

func (m *MsgCreateGroup) ValidateBasic() error {
	if err := validateOwnerAndID(m.Owner, "deployment_id", m.DeploymentId); err != nil {
		return err
	}
	return m.Group.Validate()
}

func (m *MsgPauseGroup) ValidateBasic() error {
	return validateOwnerAndID(m.Owner, "group_id", m.GroupId)
}
func (m *MsgUnpauseGroup) ValidateBasic() error {
	return validateOwnerAndID(m.Owner, "group_id", m.GroupId)
}
func (m *MsgCloseGroup) ValidateBasic() error {
	return validateOwnerAndID(m.Owner, "group_id", m.GroupId)
}
func (m *MsgCreateLease) ValidateBasic() error { return validateOwnerAndID(m.Owner, "bid_id", m.BidId) }
func (m *MsgCloseLease) ValidateBasic() error {
	return validateOwnerAndID(m.Owner, "lease_id", m.LeaseId)
}

func (m *MsgCreateBid) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if m.GroupId == 0 {
		return errorsmod.Wrap(ErrInvalidDeploymentMsg, "group_id must be set")
	}
	if err := ValidateUdait("price", m.Price); err != nil {
		return err
	}
	// An unset deposit means bid_min_deposit.
	if m.Deposit.Denom == "" && (m.Deposit.Amount.IsNil() || m.Deposit.Amount.IsZero()) {
		return nil
	}
	return ValidateUdait("deposit", m.Deposit)
}

func (m *MsgCloseBid) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if m.BidId == 0 {
		return errorsmod.Wrap(ErrInvalidDeploymentMsg, "bid_id must be set")
	}
	switch m.Reason {
	case CloseReasonUnspecified, CloseReasonProvider, CloseReasonManifestTimeout, CloseReasonUnhealthy:
		return nil
	default:
		return errorsmod.Wrapf(ErrInvalidCloseReason, "a provider closes a lease with reason %s, %s or %s, not %s",
			CloseReasonProvider, CloseReasonManifestTimeout, CloseReasonUnhealthy, m.Reason)
	}
}

// MsgWithdraw with lease_id 0 withdraws from all the provider's leases.
func (m *MsgWithdraw) ValidateBasic() error {
	return ValidateAddress("provider", m.Provider)
}

func validateOwnerAndID(owner, field string, id uint64) error {
	if err := ValidateAddress("owner", owner); err != nil {
		return err
	}
	if id == 0 {
		return errorsmod.Wrapf(ErrInvalidDeploymentMsg, "%s must be set", field)
	}
	return nil
}
