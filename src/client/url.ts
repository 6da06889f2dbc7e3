/** Builds the stream URL. The projectId is encoded (the seed concatenated it raw). */
export function streamUrl(baseUrl: string, projectId: string, extra: { lastEventId?: string; userId?: string } = {}): string {
  const params = new URLSearchParams({ projectId });
  if (extra.userId !== undefined) params.set('userId', extra.userId);
  // EventSource cannot set Last-Event-ID on its first request, so a new leader passes it here.
  if (extra.lastEventId !== undefined) params.set('lastEventId', extra.lastEventId);
  return `${baseUrl.replace(/\/$/, '')}/api/persistent-chat/stream?${params.toString()}`;
}

export function messagesUrl(baseUrl: string, projectId: string, userId?: string): string {
  const params = new URLSearchParams({ projectId });
  if (userId !== undefined) params.set('userId', userId);
  return `${baseUrl.replace(/\/$/, '')}/api/persistent-chat/messages?${params.toString()}`;
}
