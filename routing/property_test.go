package routing_test

import (
	"testing"

	"github.com/chatconsult/chatconsult/storetest"
)

// TestRX1PropertyCapacityAndOutcomes is the model-based routing property
// (storetest.TestRoutingModel: capacity never exceeded, loads equal to the
// interactions', first accept wins, one outcome per invitation; R-X1,
// R-C2) on the process-local Directory, in memory. The same property runs
// on a Directory that is a cache of routing.MemoryStore
// (storetest.TestMemoryRoutingModel) and of pgstore.RoutingStore
// (pgstore's TestRoutingModelPostgres).
func TestRX1PropertyCapacityAndOutcomes(t *testing.T) {
	storetest.TestRoutingModel(t, func(*testing.T) storetest.RoutingInstance { return storetest.RoutingInstance{} }, 0)
}
