package interaction

import (
	"context"
	"errors"
)

// RecoverPage is how many IDs Recover asks an OpenLister for at a time.
const RecoverPage = 512

// EachOpen calls f with the ID of every interaction lister lists as open,
// in ID order, page by page (RecoverPage IDs at a time). It stops at the
// first error, f's or the lister's, and returns it.
func EachOpen(ctx context.Context, lister OpenLister, f func(ID) error) error {
	var after ID
	for {
		page, err := lister.OpenInteractions(ctx, after, RecoverPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, id := range page {
			if err := f(id); err != nil {
				return err
			}
		}
		after = page[len(page)-1]
	}
}

// Recover rebuilds what a process keeps in memory about the interactions
// under way, after a restart, without reading the log from position 0: it
// lists the open interactions (OpenLister), loads each one's state with
// load, and hands the state to every sync function, such as
// signals.Tracker.Sync (pending responses and their reminders, R-C9) and
// routing.Directory.Sync (agents' loads and pending invitations). It
// returns how many interactions it loaded: the open ones, not all.
//
// An interaction listed but gone by the time it is loaded (ErrNotFound)
// is skipped; one that closed meanwhile is handed over as it is (the sync
// functions derive nothing from a closed interaction). Any other error
// stops Recover; calling it again is safe, since Sync counts a state once.
//
// Run it before the process serves commands, or use Service.Recover, which
// reads each state under the Service's lock on the interaction so that no
// command on it can slip between the state and its notification.
func Recover(ctx context.Context, lister OpenLister, load func(context.Context, ID) (*State, error), sync ...func(*State)) (int, error) {
	n := 0
	err := EachOpen(ctx, lister, func(id ID) error {
		n++
		st, err := load(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, f := range sync {
			f(st)
		}
		return nil
	})
	return n, err
}

// Recover is the package function Recover on the Service's own Store,
// which must be an OpenLister (MemoryStore and pgstore.Store are): it
// loads each open interaction into the Service's cache and hands its state
// to every sync function while holding the interaction, so a command on it
// runs (and notifies) either before or after, never in between. The sync
// functions must not keep the state nor call the Service.
//
//	n, err := chats.Recover(ctx, tracker.Sync, directory.Sync)
func (s *Service) Recover(ctx context.Context, sync ...func(*State)) (int, error) {
	lister, ok := s.store.(OpenLister)
	if !ok {
		return 0, &Error{Kind: ErrBadInput, Op: "recover", Detail: "the Store does not list its open interactions (interaction.OpenLister)"}
	}
	n := 0
	err := EachOpen(ctx, lister, func(id ID) error {
		n++
		err := s.Read(ctx, id, func(st *State) error {
			for _, f := range sync {
				f(st)
			}
			return nil
		})
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	return n, err
}
