// The parsers video.js itself uses; they ship no types. Only what the tests read is declared.
declare module 'm3u8-parser' {
  export interface ParsedPlaylist {
    uri: string;
    attributes: Record<string, unknown> & {
      BANDWIDTH?: number;
      'AVERAGE-BANDWIDTH'?: number;
      CODECS?: string;
      RESOLUTION?: { width: number; height: number };
      'FRAME-RATE'?: number;
      AUDIO?: string;
    };
  }
  export interface ParsedManifest {
    playlists?: ParsedPlaylist[];
    iFramePlaylists?: ParsedPlaylist[];
    mediaGroups: { AUDIO: Record<string, Record<string, { uri?: string; default?: boolean }>> };
    segments: {
      uri: string;
      duration: number;
      map?: { uri: string };
      byterange?: { length: number; offset: number };
    }[];
    independentSegments?: boolean;
    iFramesOnly?: boolean;
    endList?: boolean;
  }
  export class Parser {
    push(chunk: string): void;
    end(): void;
    manifest: ParsedManifest;
  }
}

declare module 'mpd-parser' {
  export interface MpdPlaylist {
    attributes: {
      NAME: string;
      BANDWIDTH: number;
      CODECS: string;
      RESOLUTION?: { width: number; height: number };
    };
    segments: { duration: number; resolvedUri: string; map?: { resolvedUri: string } }[];
  }
  export function parse(
    manifest: string,
    options: { manifestUri: string },
  ): {
    duration: number;
    playlists: MpdPlaylist[];
    mediaGroups: { AUDIO: Record<string, Record<string, { playlists: MpdPlaylist[] }>> };
  };
}
