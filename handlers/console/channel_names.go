package console

import "context"

// channelNames maps QR scenes to the channel names staff gave them, so a
// member's 关注渠道 reads "门店海报" rather than the scene value. Scenes
// without a channel (referral codes, deleted channels) are not in the map
// and show as they are.
func (h *Handler) channelNames(ctx context.Context) (map[string]string, error) {
	list, err := h.Store.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, ch := range list {
		out[ch.Scene] = ch.Name
	}
	return out, nil
}

// channelName names one scene ("" for none).
func (h *Handler) channelName(ctx context.Context, scene string) (string, error) {
	if scene == "" {
		return "", nil
	}
	ch, err := h.Store.ChannelByScene(ctx, scene)
	if err != nil {
		return "", err
	}
	if ch == nil {
		return scene, nil
	}
	return ch.Name, nil
}
