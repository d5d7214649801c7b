import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '../../web/serve/mcp-server.ts';
import { addModelOptions, openStackFromFlags, type ModelFlags } from './reply.ts';

/** `dougpt mcp`: an MCP server over stdio with the `chat_reply` tool. */
export function registerMcpCommand(program: Command): void {
  addModelOptions(
    program
      .command('mcp')
      .description('MCP server over stdio with a `chat_reply` tool (same model, guardrails and inference log as `dougpt serve`)'),
  ).action(async (flags: ModelFlags) => {
    // stdout carries the protocol: every notice goes to stderr.
    const stack = await openStackFromFlags(flags, { watchPromoted: true, notice: (line) => process.stderr.write(`mcp: ${line}\n`) });
    const server = createMcpServer(stack.service, program.version() ?? '0.1.0');
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve;
      process.stdin.once('end', resolve);
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.connect(transport);
    await closed;
    await server.close();
    await stack.close();
  });
}
