package tenant

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// OfferQuote is one offer that could serve a group now.
type OfferQuote struct {
	OfferID  uint64
	Provider string
	Class    string
	// Units of the offer the group needs; PerBlock = unit price x units.
	Units    uint32
	PerBlock math.Int
}

// ClassQuote is a fitting class's market price, as the group would pay it
// at the class's VWAP (per normalised unit x the group's GPUs, or its
// 1000 CPU millis).
type ClassQuote struct {
	Class string
	VWAP  math.Int
	// AtVWAP is VWAP x the group's quantity; zero without trades.
	AtVWAP math.Int
	Trades uint64
}

// GroupQuote is what one group of a deployment file would cost now.
type GroupQuote struct {
	Group    string
	MaxPrice math.Int
	// Offers are the cheapest eligible offers that fit (at most 3).
	Offers  []OfferQuote
	Classes []ClassQuote
}

// maxQuoteOffers bounds how many offers a quote reads.
const maxQuoteOffers = 10_000

// Quote prices each group of specs against the order book: the open
// offers whose unit fits the group (obtypes.UnitsFor) with enough units
// available and whose provider's audited attributes meet the group's
// requirements, cheapest first; and each fitting class's VWAP.
func (c *Client) Quote(ctx context.Context, book obtypes.QueryClient, specs []types.GroupSpec) ([]GroupQuote, error) {
	var offers []obtypes.Offer
	var key []byte
	for len(offers) < maxQuoteOffers {
		res, err := book.Offers(ctx, &obtypes.QueryOffersRequest{Pagination: &query.PageRequest{Key: key, Limit: 1000}})
		if err != nil {
			return nil, fmt.Errorf("offers: %w", err)
		}
		for _, o := range res.Offers {
			if o.State == obtypes.OfferOpen && o.Available > 0 {
				offers = append(offers, o)
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			break
		}
		key = res.Pagination.NextKey
	}
	classes, err := book.Classes(ctx, &obtypes.QueryClassesRequest{Pagination: &query.PageRequest{Limit: 1000}})
	if err != nil {
		return nil, fmt.Errorf("classes: %w", err)
	}
	auditors, err := c.market.Auditors(ctx, &types.QueryAuditorsRequest{})
	if err != nil {
		return nil, fmt.Errorf("auditors: %w", err)
	}
	attrs := map[string][]types.AuditRecord{}
	records := func(provider string) ([]types.AuditRecord, error) {
		if r, ok := attrs[provider]; ok {
			return r, nil
		}
		res, err := c.market.ProviderAttributes(ctx, &types.QueryProviderAttributesRequest{Provider: provider})
		if err != nil {
			return nil, err
		}
		attrs[provider] = res.Records
		return res.Records, nil
	}
	var out []GroupQuote
	for _, g := range specs {
		need := needOf(g.Resources)
		q := GroupQuote{Group: g.Name, MaxPrice: g.MaxPrice.Amount}
		for _, o := range offers {
			units, ok := obtypes.UnitsFor(o.Unit, need)
			if !ok || units > o.Available {
				continue
			}
			recs, err := records(o.Provider)
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", o.Provider, err)
			}
			if !types.NewAuditedAttributes(recs, auditors.Auditors, g.Auditors).Satisfies(g.Requirements) {
				continue
			}
			q.Offers = append(q.Offers, OfferQuote{OfferID: o.Id, Provider: o.Provider, Class: o.Unit.Class(), Units: units, PerBlock: o.Price.Amount.MulRaw(int64(units))})
		}
		sort.Slice(q.Offers, func(i, j int) bool {
			if c := q.Offers[i].PerBlock.BigInt().Cmp(q.Offers[j].PerBlock.BigInt()); c != 0 {
				return c < 0
			}
			return q.Offers[i].OfferID < q.Offers[j].OfferID
		})
		q.Offers = q.Offers[:min(len(q.Offers), 3)]
		for _, cl := range classes.Classes {
			if !classFits(cl.Class, need) {
				continue
			}
			m, err := book.Market(ctx, &obtypes.QueryMarketRequest{Class: cl.Class})
			if err != nil {
				return nil, fmt.Errorf("market %s: %w", cl.Class, err)
			}
			cq := ClassQuote{Class: cl.Class, VWAP: m.Vwap, AtVWAP: math.ZeroInt(), Trades: m.WindowTrades}
			if m.WindowTrades > 0 {
				cq.AtVWAP = m.Vwap.Mul(math.NewIntFromUint64(quantity(need))).QuoRaw(int64(obtypes.ScaleOf(cl.Class)))
			}
			q.Classes = append(q.Classes, cq)
		}
		out = append(out, q)
	}
	return out, nil
}

func needOf(r types.Resources) obtypes.Resources {
	return obtypes.Resources{GPUCount: r.GPU.Count, GPUMemoryGB: r.GPU.MemoryGb, GPUClass: r.GPU.Class,
		CPUMillis: r.CpuMillis, MemoryMB: r.MemoryMb, StorageGB: r.StorageGb, Replicas: r.Replicas}
}

// quantity is the group's normalised quantity: GPUs, or CPU millis.
func quantity(n obtypes.Resources) uint64 {
	replicas := uint64(max(n.Replicas, 1))
	if n.GPUCount > 0 {
		return uint64(n.GPUCount) * replicas
	}
	return n.CPUMillis * replicas
}

// classFits says whether a class's units could serve the group.
func classFits(class string, n obtypes.Resources) bool {
	gpuClass, mem, err := obtypes.ParseClass(class)
	if err != nil {
		return false
	}
	if class == obtypes.ClassCPU {
		return n.GPUCount == 0
	}
	return n.GPUCount > 0 && mem >= n.GPUMemoryGB && (n.GPUClass == "" || n.GPUClass == gpuClass)
}

// PrintQuote writes the quotes as a table.
func PrintQuote(w io.Writer, quotes []GroupQuote) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tMAX/BLOCK\tSOURCE\tCLASS\tUNITS\tPRICE/BLOCK\tNOTE")
	for _, q := range quotes {
		if len(q.Offers) == 0 && len(q.Classes) == 0 {
			fmt.Fprintf(tw, "%s\t%sudait\t-\t-\t-\t-\tno fitting offer or trade yet: an auction decides\n", q.Group, q.MaxPrice)
		}
		for _, o := range q.Offers {
			note := "within max_price"
			if o.PerBlock.GT(q.MaxPrice) {
				note = "above max_price"
			}
			fmt.Fprintf(tw, "%s\t%sudait\toffer %d\t%s\t%d\t%sudait\t%s (provider %s)\n", q.Group, q.MaxPrice, o.OfferID, o.Class, o.Units, o.PerBlock, note, o.Provider)
		}
		for _, c := range q.Classes {
			if c.Trades == 0 {
				fmt.Fprintf(tw, "%s\t%sudait\tmarket\t%s\t-\t-\tno trades in the VWAP window\n", q.Group, q.MaxPrice, c.Class)
				continue
			}
			fmt.Fprintf(tw, "%s\t%sudait\tVWAP\t%s\t-\t%sudait\t%s per unit, %d trades\n", q.Group, q.MaxPrice, c.Class, c.AtVWAP, c.VWAP, c.Trades)
		}
	}
	return tw.Flush()
}
