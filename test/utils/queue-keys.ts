/**
 * The keys of a queue under `prefix` (both transports), written out from docs/key-layout.md
 * independently of the library's own key builder, so a change to the layout fails the tests.
 */
export const queueKeys = (queue: string, prefix = 'vq') => {
  const tag = `{${prefix}:${queue}}`;
  const key = (suffix: string): string => `${tag}:${suffix}`;
  return {
    tag,
    stream: key('stream'),
    list: key('list'),
    dead: key('dead'),
    delayed: key('delayed'),
    bodies: key('delayed:bodies'),
    paused: key('paused'),
    stats: key('stats'),
    consumers: key('list-consumers'),
    deliveries: key('list-deliveries'),
    inflight: (consumer: string) => key(`inflight:${consumer}`),
    heartbeat: (consumer: string) => key(`consumer:${consumer}`),
    done: (id: string) => key(`done:${id}`),
    dedup: (dedupKey: string) => key(`dedup:${dedupKey}`),
    sent: (id: string) => key(`sent:${id}`),
  };
};
