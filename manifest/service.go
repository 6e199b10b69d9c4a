package manifest

import (
	"regexp"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Limits of a group's services. They keep a manifest small enough for the
// gateway to hold in memory and a provider's workload table bounded.
const (
	MaxServicesPerGroup = 16
	MaxPortsPerService  = 16
	MaxEnvPerService    = 64
	MaxArgs             = 64
	MaxArgLen           = 4096
	MaxEnvValueLen      = 4096
	MaxImageLen         = 512
	MaxServiceNameLen   = 63
	MaxHealthPathLen    = 256

	DefaultHealthEvery     = 5 * time.Second
	DefaultHealthFailAfter = 3
	MinHealthEvery         = time.Second
	MaxHealthEvery         = 10 * time.Minute
	MaxHealthFailAfter     = 1000
	MaxStartPeriod         = time.Hour
)

// Proto is how a port is served: http ports are reachable through the
// provider gateway at a per-lease URL; tcp ports are assigned on the host.
type Proto string

const (
	ProtoHTTP Proto = "http"
	ProtoTCP  Proto = "tcp"
)

// Service is one program of a group; each of the group's replicas runs
// every service of the group.
type Service struct {
	Name string
	// Image is the container image (docker runtime); Command overrides its
	// entrypoint, and is what the process runtime runs. At least one.
	Image   string
	Command []string
	Args    []string
	// Env is sorted by name; a secret variable has no value in the file.
	Env    []EnvVar
	Ports  []Port
	Health *Health
	// GPUs is how many of each replica's GPUs this service gets.
	GPUs uint32
}

// EnvVar is one environment variable. A secret one carries no value in the
// file: the tenant supplies it when sending the manifest (encrypted to the
// provider's key), so it is in neither the file's hash nor the chain.
type EnvVar struct {
	Name   string
	Value  string
	Secret bool
}

// Port is a port the service listens on.
type Port struct {
	Port  uint32
	Proto Proto
}

// Health is a service's health check: an HTTP GET of Path (2xx or 3xx is
// healthy) or a TCP connect, on Port, every Every; FailAfter failures in a
// row make the service unhealthy. Failures within StartPeriod of a start
// do not count.
type Health struct {
	HTTP        string // path, e.g. /healthz; empty for a TCP check
	Port        uint32
	Every       time.Duration
	FailAfter   uint32
	StartPeriod time.Duration
}

var (
	serviceName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// parseServices reads a group's services and checks them against its
// resources:
//   - names are DNS labels, unique in the group;
//   - image, command or both; args only with them;
//   - ports 1-65535, unique in the service; proto http (default) or tcp;
//   - env: NAME: value, or NAME: {secret: true};
//   - gpus: the services' GPUs add up to at most the group's gpu.count;
//   - health: exactly one of http (a path) and tcp (true); port defaults to
//     the service's first port of that kind, and must be one of its ports;
//     every defaults to 5s (1s-10m), fail_after to 3 (1-1000), start_period
//     to 0 (at most 1h).
func parseServices(n *yaml.Node, p fieldPath, res types.Resources) ([]Service, error) {
	items, err := sequence(n, p, MaxServicesPerGroup)
	if err != nil {
		return nil, err
	}
	var out []Service
	firstUse := make(map[string]int, len(items))
	var gpus uint64
	for i, item := range items {
		sp := p.index(i)
		s, err := parseService(item, sp)
		if err != nil {
			return nil, err
		}
		if j, dup := firstUse[s.Name]; dup {
			return nil, fieldErr(sp.key("name"), item, "%q is already the name of %s", s.Name, p.index(j))
		}
		firstUse[s.Name] = i
		gpus += uint64(s.GPUs)
		if gpus > uint64(res.GPU.Count) {
			return nil, fieldErr(sp.key("gpus"), item, "the services ask for %d GPUs, the group's resources have %d per replica", gpus, res.GPU.Count)
		}
		out = append(out, s)
	}
	return out, nil
}

func parseService(n *yaml.Node, p fieldPath) (Service, error) {
	var s Service
	f, err := mapping(n, p, "name", "image", "command", "args", "env", "ports", "health", "gpus")
	if err != nil {
		return s, err
	}
	if err := need(f, p, n, "name"); err != nil {
		return s, err
	}
	if s.Name, err = scalar(f["name"], p.key("name")); err != nil {
		return s, err
	}
	if len(s.Name) > MaxServiceNameLen || !serviceName.MatchString(s.Name) {
		return s, fieldErr(p.key("name"), f["name"], "want a DNS label (a-z, 0-9 and -, at most %d characters), got %q", MaxServiceNameLen, s.Name)
	}
	if in, ok := f["image"]; ok {
		if s.Image, err = scalar(in, p.key("image")); err != nil {
			return s, err
		}
		if s.Image == "" || len(s.Image) > MaxImageLen {
			return s, fieldErr(p.key("image"), in, "want an image reference of 1 to %d characters", MaxImageLen)
		}
	}
	if cn, ok := f["command"]; ok {
		if s.Command, err = stringList(cn, p.key("command")); err != nil {
			return s, err
		}
		if len(s.Command) == 0 || s.Command[0] == "" {
			return s, fieldErr(p.key("command"), cn, "want a program and its arguments, e.g. [./server, --port, \"8080\"]")
		}
	}
	if s.Image == "" && s.Command == nil {
		return s, fieldErr(p.key("image"), n, "required: an image (docker runtime), a command (process runtime), or both")
	}
	if an, ok := f["args"]; ok {
		if s.Args, err = stringList(an, p.key("args")); err != nil {
			return s, err
		}
	}
	if en, ok := f["env"]; ok {
		if s.Env, err = parseEnv(en, p.key("env")); err != nil {
			return s, err
		}
	}
	if pn, ok := f["ports"]; ok {
		if s.Ports, err = parsePorts(pn, p.key("ports")); err != nil {
			return s, err
		}
	}
	if gn, ok := f["gpus"]; ok {
		g, err := unsigned(gn, p.key("gpus"), types.MaxGPUCount)
		if err != nil {
			return s, err
		}
		s.GPUs = uint32(g)
	}
	if hn, ok := f["health"]; ok {
		if s.Health, err = parseHealth(hn, p.key("health"), s.Ports); err != nil {
			return s, err
		}
	}
	return s, nil
}

// stringList reads a list of strings (each as written).
func stringList(n *yaml.Node, p fieldPath) ([]string, error) {
	items, err := sequence(n, p, MaxArgs)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		v, err := scalar(item, p.index(i))
		if err != nil {
			return nil, err
		}
		if len(v) > MaxArgLen {
			return nil, fieldErr(p.index(i), item, "longer than %d bytes", MaxArgLen)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseEnv(n *yaml.Node, p fieldPath) ([]EnvVar, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fieldErr(p, n, "want a mapping of NAME: value, got %s", kindOf(n))
	}
	if len(n.Content)/2 > MaxEnvPerService {
		return nil, fieldErr(p, n, "at most %d variables, got %d", MaxEnvPerService, len(n.Content)/2)
	}
	var names []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode {
			names = append(names, k.Value)
		}
	}
	f, err := mapping(n, p, names...) // unique scalar keys
	if err != nil {
		return nil, err
	}
	out := make([]EnvVar, 0, len(f))
	for _, name := range names {
		vp, vn := p.key(name), f[name]
		if !envName.MatchString(name) {
			return nil, fieldErr(vp, vn, "want a variable name ([A-Za-z_][A-Za-z0-9_]*)")
		}
		v := EnvVar{Name: name}
		if vn.Kind == yaml.MappingNode {
			sf, err := mapping(vn, vp, "secret")
			if err != nil {
				return nil, err
			}
			if err := need(sf, vp, vn, "secret"); err != nil {
				return nil, err
			}
			if sn := sf["secret"]; sn.Kind != yaml.ScalarNode || sn.Value != "true" {
				return nil, fieldErr(vp.key("secret"), sn, "want true: a secret's value is given when the manifest is sent, never in the file")
			}
			v.Secret = true
		} else {
			if v.Value, err = scalar(vn, vp); err != nil {
				return nil, err
			}
			if len(v.Value) > MaxEnvValueLen {
				return nil, fieldErr(vp, vn, "longer than %d bytes", MaxEnvValueLen)
			}
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b EnvVar) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}

func parsePorts(n *yaml.Node, p fieldPath) ([]Port, error) {
	items, err := sequence(n, p, MaxPortsPerService)
	if err != nil {
		return nil, err
	}
	out := make([]Port, 0, len(items))
	firstUse := make(map[uint32]int, len(items))
	for i, item := range items {
		pp := p.index(i)
		f, err := mapping(item, pp, "port", "proto")
		if err != nil {
			return nil, err
		}
		if err := need(f, pp, item, "port"); err != nil {
			return nil, err
		}
		port, err := unsigned(f["port"], pp.key("port"), 65535)
		if err != nil {
			return nil, err
		}
		if port == 0 {
			return nil, fieldErr(pp.key("port"), f["port"], "want a port from 1 to 65535")
		}
		if j, dup := firstUse[uint32(port)]; dup {
			return nil, fieldErr(pp.key("port"), f["port"], "port %d is already %s", port, p.index(j))
		}
		firstUse[uint32(port)] = i
		pr := Port{Port: uint32(port), Proto: ProtoHTTP}
		if prn, ok := f["proto"]; ok {
			v, err := scalar(prn, pp.key("proto"))
			if err != nil {
				return nil, err
			}
			switch Proto(v) {
			case ProtoHTTP, ProtoTCP:
				pr.Proto = Proto(v)
			default:
				return nil, fieldErr(pp.key("proto"), prn, "want http or tcp, got %q", v)
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

func parseHealth(n *yaml.Node, p fieldPath, ports []Port) (*Health, error) {
	f, err := mapping(n, p, "http", "tcp", "port", "every", "fail_after", "start_period")
	if err != nil {
		return nil, err
	}
	h := &Health{Every: DefaultHealthEvery, FailAfter: DefaultHealthFailAfter}
	hn, isHTTP := f["http"]
	tn, isTCP := f["tcp"]
	switch {
	case isHTTP && isTCP:
		return nil, fieldErr(p, n, "give http (a path) or tcp: true, not both")
	case !isHTTP && !isTCP:
		return nil, fieldErr(p.key("http"), n, "required: http (a path such as /healthz) or tcp: true")
	case isHTTP:
		if h.HTTP, err = scalar(hn, p.key("http")); err != nil {
			return nil, err
		}
		if len(h.HTTP) == 0 || h.HTTP[0] != '/' || len(h.HTTP) > MaxHealthPathLen {
			return nil, fieldErr(p.key("http"), hn, "want a path starting with / of at most %d characters, got %q", MaxHealthPathLen, h.HTTP)
		}
	default:
		if tn.Kind != yaml.ScalarNode || tn.Value != "true" {
			return nil, fieldErr(p.key("tcp"), tn, "want true")
		}
	}
	kind := ProtoTCP
	if isHTTP {
		kind = ProtoHTTP
	}
	if pn, ok := f["port"]; ok {
		port, err := unsigned(pn, p.key("port"), 65535)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(ports, func(x Port) bool { return x.Port == uint32(port) && (kind == ProtoTCP || x.Proto == ProtoHTTP) }) {
			return nil, fieldErr(p.key("port"), pn, "port %d is not one of the service's %s ports", port, kind)
		}
		h.Port = uint32(port)
	} else {
		for _, x := range ports {
			if kind == ProtoTCP || x.Proto == ProtoHTTP {
				h.Port = x.Port
				break
			}
		}
		if h.Port == 0 {
			return nil, fieldErr(p, n, "the service has no %s port to check", kind)
		}
	}
	if en, ok := f["every"]; ok {
		if h.Every, err = duration(en, p.key("every"), MinHealthEvery, MaxHealthEvery); err != nil {
			return nil, err
		}
	}
	if fn, ok := f["fail_after"]; ok {
		v, err := unsigned(fn, p.key("fail_after"), MaxHealthFailAfter)
		if err != nil {
			return nil, err
		}
		if v == 0 {
			return nil, fieldErr(p.key("fail_after"), fn, "want at least 1")
		}
		h.FailAfter = uint32(v)
	}
	if sn, ok := f["start_period"]; ok {
		if h.StartPeriod, err = duration(sn, p.key("start_period"), 0, MaxStartPeriod); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// duration reads a Go duration ("5s", "1m30s") within [lo, hi].
func duration(n *yaml.Node, p fieldPath, lo, hi time.Duration) (time.Duration, error) {
	s, err := scalar(n, p)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fieldErr(p, n, "want a duration such as 5s or 1m, got %q", s)
	}
	if d < lo || d > hi {
		return 0, fieldErr(p, n, "%s is outside %s to %s", d, lo, hi)
	}
	return d, nil
}
