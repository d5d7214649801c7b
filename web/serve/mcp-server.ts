import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { GuardrailAction, MAX_CONTEXT_CHARS, MAX_N } from '../../functions/reply/reply-schemas.ts';
import type { ReplyService } from '../../functions/reply/reply-service.ts';

export const CHAT_REPLY_TOOL = 'chat_reply';

/**
 * An MCP server with one tool, `chat_reply`: Twitch-chat replies to what the streamer said, from
 * the same reply service (and so the same guardrails and inference log) as the HTTP server.
 *
 * @example
 * const server = createMcpServer(stack.service, '0.1.0');
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(service: ReplyService, version: string): McpServer {
  const server = new McpServer({ name: 'dougpt', version });
  server.registerTool(
    CHAT_REPLY_TOOL,
    {
      title: 'Chat reply',
      description:
        "Replies as the streamer's Twitch chat would to what the streamer just said. Replies pass the guardrails (toxicity, banned phrases, viewer names, length, repetition); a reply they reject is sampled again, then dropped.",
      inputSchema: {
        context: z.string().max(MAX_CONTEXT_CHARS).describe("the streamer's words the chat reacts to"),
        n: z.number().int().min(1).max(MAX_N).optional().describe('how many replies (default 1)'),
        seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe('same seed and context: same replies'),
        temperature: z.number().min(0).max(2).optional(),
      },
      outputSchema: {
        replies: z.array(z.string()),
        guardrail_actions: z.array(GuardrailAction),
        adapter_run_id: z.string().nullable(),
        prompt_spec: z.object({ version: z.string(), sha256: z.string(), prompt_hash: z.string() }),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ context, n, seed, temperature }, extra) => {
      const outcome = await service.reply({ context, n: n ?? 1, seed, temperature, stop: [], endpoint: 'mcp', client: null, signal: extra.signal });
      const structured = { replies: outcome.replies, guardrail_actions: outcome.guardrail_actions, adapter_run_id: outcome.adapter.run_id, prompt_spec: outcome.prompt_spec };
      const text = outcome.replies.length > 0 ? outcome.replies.join('\n') : '(every reply was dropped by the guardrails)';
      return { content: [{ type: 'text' as const, text }], structuredContent: structured };
    },
  );
  return server;
}
