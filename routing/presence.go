package routing

// Presence is an agent's availability for routed work (R-X1).
type Presence uint8

const (
	// LoggedOut is the zero value: a new agent is offered nothing until it
	// logs in. Logging out withdraws (rescinds) the agent's pending
	// invitations when the Directory has a Rescinder.
	LoggedOut Presence = iota
	// Ready: the agent takes routed work up to its capacity.
	Ready
	// NotReady: logged in, at the desk, but taking no routed work (after
	// work, a missed invitation, training). A colleague may still invite it
	// by name, and an invitation it already holds stays answerable.
	NotReady
	// Away: logged in but not at the desk; it is offered nothing, not even
	// by name.
	Away
)

var presenceNames = [...]string{"logged_out", "ready", "not_ready", "away"}

func (p Presence) String() string {
	if int(p) < len(presenceNames) {
		return presenceNames[p]
	}
	return "unknown"
}

// valid reports whether p is one of the declared values.
func (p Presence) valid() bool { return p <= Away }

// reachableByName reports whether an invitation aimed at the agent by
// name may go out: a named agent is chosen by a colleague who sees its
// presence, so NotReady does not stop it; Away and LoggedOut do.
func (p Presence) reachableByName() bool { return p == Ready || p == NotReady }
