/**
 * For tests that give the FileFetcherActor a fake streamer and publisher: one streamer port that
 * passes the ledger's messages on to the publisher the way LineStreamerActor does (claim is the
 * publisher's begin), so the fetcher still talks to its streamer only.
 */
type Port = { sendAndReceive(topic: string, ...args: never[]): Promise<unknown> };

const TO_PUBLISHER: Record<string, string> = { known: 'known', claim: 'begin', deadLetter: 'deadLetter', finish: 'finish' };

export function streamerWithPublisher(streamer: Port, publisher: Port): { sendAndReceive(topic: string, ...args: unknown[]): Promise<never> } {
  return {
    sendAndReceive: (topic: string, ...args: unknown[]) => {
      const forwarded = TO_PUBLISHER[topic];
      return (forwarded ? publisher.sendAndReceive(forwarded, ...(args as never[])) : streamer.sendAndReceive(topic, ...(args as never[]))) as Promise<never>;
    },
  };
}
