/**
 * Consumer groups (the classic, eager protocol kafkajs speaks): members join, the coordinator waits
 * until every known member has (re)joined or the rebalance timeout passed (members that did not
 * are dropped), then starts a new generation with a round-robin assignment (kafkajs's default
 * assigner: members sorted by id, partitions dealt out in order). A member learns of a rebalance
 * from its heartbeat (REBALANCE_IN_PROGRESS) and must rejoin; a member that stops heartbeating for
 * its session timeout is dropped. The sync step is folded into the join.
 *
 * Committed offsets live here; transactional commits reach them through the transaction
 * coordinator's commit markers.
 */
import { protocolError } from './errors';

export interface JoinResult {
  generationId: number;
  memberId: string;
  leaderId: string;
  /** topic → partitions assigned to this member. */
  assignment: Record<string, number[]>;
}

interface Member {
  memberId: string;
  topics: string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  lastSeenMs: number;
  joining: ((r: JoinResult) => void) | undefined;
  failJoin: ((e: Error) => void) | undefined;
}

interface Group {
  groupId: string;
  generationId: number;
  state: 'Empty' | 'PreparingRebalance' | 'Stable';
  members: Map<string, Member>;
  offsets: Map<string, number>;
  cancelRebalanceTimer: (() => void) | undefined;
}

export interface GroupEnv {
  now(): number;
  partitionsOf(topic: string): number;
  /** A broker timer (it always fires); returns its cancel function. */
  timer(ms: number, fn: () => void): () => void;
  trace(line: string): void;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private nextMember = 1;

  constructor(private readonly env: GroupEnv) {}

  /** JoinGroup (+ SyncGroup): resolves when the new generation starts. */
  join(groupId: string, memberId: string, clientId: string, topics: string[], sessionTimeoutMs: number, rebalanceTimeoutMs: number): Promise<JoinResult> {
    const g = this.group(groupId);
    let member = memberId ? g.members.get(memberId) : undefined;
    if (memberId && !member) return Promise.reject(protocolError('UNKNOWN_MEMBER_ID'));
    if (!member) {
      member = { memberId: `${clientId}-${String(this.nextMember++).padStart(4, '0')}`, topics, sessionTimeoutMs, rebalanceTimeoutMs, lastSeenMs: 0, joining: undefined, failJoin: undefined };
      g.members.set(member.memberId, member);
    }
    const m = member;
    m.topics = topics;
    m.lastSeenMs = this.env.now();
    m.failJoin?.(protocolError('REBALANCE_IN_PROGRESS'));
    const result = new Promise<JoinResult>((resolve, reject) => {
      m.joining = resolve;
      m.failJoin = reject;
    });
    if (g.state !== 'PreparingRebalance') this.startRebalance(g, `${m.memberId} joins`);
    this.tryComplete(g);
    return result;
  }

  /** Heartbeat: fails when the member must rejoin (a rebalance, a newer generation) or is unknown. */
  heartbeat(groupId: string, memberId: string, generationId: number): void {
    const g = this.group(groupId);
    const m = g.members.get(memberId);
    if (!m) throw protocolError('UNKNOWN_MEMBER_ID');
    m.lastSeenMs = this.env.now();
    if (g.state === 'PreparingRebalance') throw protocolError('REBALANCE_IN_PROGRESS');
    if (generationId !== g.generationId) throw protocolError('ILLEGAL_GENERATION');
  }

  leave(groupId: string, memberId: string): void {
    const g = this.group(groupId);
    if (!g.members.has(memberId)) return;
    this.remove(g, memberId, 'left');
  }

  /** Drops members whose session expired (a broker timer calls this). */
  expireSessions(): void {
    const now = this.env.now();
    for (const g of this.groups.values()) {
      for (const m of [...g.members.values()]) {
        if (m.joining) continue;
        if (now - m.lastSeenMs > m.sessionTimeoutMs) this.remove(g, m.memberId, `session expired after ${now - m.lastSeenMs} ms`);
      }
    }
  }

  /** OffsetFetch: the committed offset, -1 when none. */
  committedOffset(groupId: string, topic: string, partition: number): number {
    return this.groups.get(groupId)?.offsets.get(tpKey(topic, partition)) ?? -1;
  }

  /** Applies a transaction's offsets at its commit marker. */
  commitOffsets(groupId: string, offsets: Map<string, number>): void {
    const g = this.group(groupId);
    for (const [key, offset] of offsets) g.offsets.set(key, offset);
  }

  /** The current generation and members (for traces and tests). */
  describe(groupId: string): { generationId: number; state: string; members: string[] } {
    const g = this.group(groupId);
    return { generationId: g.generationId, state: g.state, members: [...g.members.keys()] };
  }

  private group(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (!g) {
      g = { groupId, generationId: 0, state: 'Empty', members: new Map(), offsets: new Map(), cancelRebalanceTimer: undefined };
      this.groups.set(groupId, g);
    }
    return g;
  }

  private startRebalance(g: Group, why: string): void {
    g.state = 'PreparingRebalance';
    this.env.trace(`group ${g.groupId}: rebalance (${why})`);
    const timeout = Math.max(...[...g.members.values()].map((m) => m.rebalanceTimeoutMs), 0);
    g.cancelRebalanceTimer?.();
    g.cancelRebalanceTimer = this.env.timer(timeout, () => {
      g.cancelRebalanceTimer = undefined;
      for (const m of [...g.members.values()]) if (!m.joining) g.members.delete(m.memberId);
      this.complete(g);
    });
  }

  private remove(g: Group, memberId: string, why: string): void {
    const m = g.members.get(memberId);
    g.members.delete(memberId);
    m?.failJoin?.(protocolError('UNKNOWN_MEMBER_ID'));
    this.env.trace(`group ${g.groupId}: ${memberId} removed (${why})`);
    if (g.members.size === 0) {
      g.cancelRebalanceTimer?.();
      g.cancelRebalanceTimer = undefined;
      g.state = 'Empty';
      return;
    }
    if (g.state === 'Stable') this.startRebalance(g, `${memberId} ${why}`);
    else this.tryComplete(g);
  }

  private tryComplete(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    for (const m of g.members.values()) if (!m.joining) return;
    this.complete(g);
  }

  private complete(g: Group): void {
    g.cancelRebalanceTimer?.();
    g.cancelRebalanceTimer = undefined;
    if (g.members.size === 0) {
      g.state = 'Empty';
      return;
    }
    g.generationId++;
    g.state = 'Stable';
    const members = [...g.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const assignment = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    let next = 0;
    for (const topic of topics) {
      const subscribed = members.filter((m) => m.topics.includes(topic));
      const count = this.env.partitionsOf(topic);
      for (let p = 0; p < count; p++) {
        const m = subscribed[next++ % subscribed.length];
        const a = assignment.get(m.memberId)!;
        (a[topic] ??= []).push(p);
      }
    }
    const leaderId = members[0].memberId;
    this.env.trace(`group ${g.groupId}: generation ${g.generationId}: ${members.map((m) => `${m.memberId}=${JSON.stringify(assignment.get(m.memberId))}`).join(' ')}`);
    for (const m of members) {
      const resolve = m.joining!;
      m.joining = undefined;
      m.failJoin = undefined;
      m.lastSeenMs = this.env.now();
      resolve({ generationId: g.generationId, memberId: m.memberId, leaderId, assignment: assignment.get(m.memberId)! });
    }
  }
}
