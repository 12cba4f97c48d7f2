package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// The routes of new chats (routing.ChatRoutes) on PostgreSQL: the table
// chatconsult_routing_chats (migration 0010), shared by every instance;
// ClaimChatRoutes takes the due rows with FOR UPDATE SKIP LOCKED and a
// lease, so one instance at a time fires a chat offer's deadline.

var _ routing.ChatRoutes = (*RoutingStore)(nil)

// SetChatRoute implements routing.ChatRoutes.
func (s *RoutingStore) SetChatRoute(ctx context.Context, r routing.ChatRoute) error {
	if r.Interaction == "" {
		return refusal(interaction.ErrBadInput, "set chat route", "no interaction")
	}
	if err := checkText("set chat route", string(r.Interaction), r.Target.ID, string(r.Agent)); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO chatconsult_routing_chats (interaction, target_kind, target_id, agent, due, claimed_until)
		VALUES ($1, $2, $3, $4, $5, 0)
		ON CONFLICT (interaction) DO UPDATE SET target_kind = EXCLUDED.target_kind, target_id = EXCLUDED.target_id,
			agent = EXCLUDED.agent, due = EXCLUDED.due, claimed_until = 0`,
		string(r.Interaction), int16(r.Target.Kind), r.Target.ID, string(r.Agent), r.Due.UnixNano())
	return err
}

// ChatRoute implements routing.ChatRoutes.
func (s *RoutingStore) ChatRoute(ctx context.Context, id interaction.ID) (routing.ChatRoute, bool, error) {
	if err := checkText("chat route", string(id)); err != nil {
		return routing.ChatRoute{}, false, err
	}
	r, err := scanChatRoute(s.pool.QueryRow(ctx, `SELECT interaction, target_kind, target_id, agent, due
		FROM chatconsult_routing_chats WHERE interaction = $1`, string(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return routing.ChatRoute{}, false, nil
	}
	return r, err == nil, err
}

// DropChatRoute implements routing.ChatRoutes.
func (s *RoutingStore) DropChatRoute(ctx context.Context, id interaction.ID) error {
	if err := checkText("drop chat route", string(id)); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM chatconsult_routing_chats WHERE interaction = $1`, string(id))
	return err
}

// ClaimChatRoutes implements routing.ChatRoutes.
func (s *RoutingStore) ClaimChatRoutes(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]routing.ChatRoute, error) {
	if limit <= 0 {
		limit = 64
	}
	rows, err := s.pool.Query(ctx, `UPDATE chatconsult_routing_chats c SET claimed_until = $2
		FROM (SELECT interaction FROM chatconsult_routing_chats
			WHERE due <= $1 AND claimed_until <= $1 ORDER BY due, interaction LIMIT $3 FOR UPDATE SKIP LOCKED) d
		WHERE c.interaction = d.interaction
		RETURNING c.interaction, c.target_kind, c.target_id, c.agent, c.due`, now.UnixNano(), now.Add(lease).UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []routing.ChatRoute
	for rows.Next() {
		r, err := scanChatRoute(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanChatRoute(row pgx.Row) (routing.ChatRoute, error) {
	var id, targetID, agent string
	var kind int16
	var due int64
	if err := row.Scan(&id, &kind, &targetID, &agent, &due); err != nil {
		return routing.ChatRoute{}, err
	}
	return routing.ChatRoute{Interaction: interaction.ID(id), Target: interaction.Target{Kind: interaction.TargetKind(kind), ID: targetID},
		Agent: interaction.PartyID(agent), Due: time.Unix(0, due).UTC()}, nil
}
