import { CHATML } from '../../../functions/prompt/chat-templates.ts';
import type { Generation, GenerateRequest, ReplyEngine } from '../../../functions/reply/reply-engine.ts';
import type { AdapterInfo } from '../../../functions/reply/reply-schemas.ts';

export const SMOLLM2_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** An engine whose text is a function of the request: records every request it got. */
export function stubEngine(text: (request: GenerateRequest) => string): ReplyEngine & { requests: GenerateRequest[] } {
  let adapter: AdapterInfo = { run_id: null, gguf: null, base: { name: 'stub', gguf: '/stub.gguf' } };
  const requests: GenerateRequest[] = [];
  return {
    requests,
    get adapter() {
      return adapter;
    },
    chatTemplate: SMOLLM2_TEMPLATE,
    template: CHATML,
    async generate(request): Promise<Generation> {
      requests.push(request);
      await new Promise((r) => setImmediate(r));
      const out = text(request);
      return { text: out, promptTokens: 10, completionTokens: out.split(' ').length, finishReason: 'stop', adapter };
    },
    async useAdapter(ref) {
      adapter = { run_id: ref?.run_id ?? null, gguf: ref?.gguf ?? null, base: adapter.base };
    },
    async close() {},
  };
}
