/**
 * Makes a context sample one token at a time. node-llama-cpp samples the sequences of a batch
 * concurrently on libuv's thread pool, and llama.cpp's every read of the logits first applies the
 * batch's pending output reorder in place, unlocked (`llama_context::output_reorder`, when the
 * outputs came out of the micro-batches out of order): concurrent reads race, and a sequence can
 * sample from scrambled logits. Seen as two runs of one seed and
 * one schedule writing different text, identical with a one-thread pool. Sampling is a small part
 * of a step; the order of the batch's samples does not matter once they are serial.
 *
 * @example
 * const context = await model.createContext({ sequences: 4 });
 * serializeSampling(context);
 */
export function serializeSampling(context: object): void {
  const addon = (context as { _ctx?: { sampleToken?: (...args: unknown[]) => Promise<unknown> } })._ctx;
  const sample = addon?.sampleToken;
  if (!addon || typeof sample !== 'function') throw new Error('node-llama-cpp: the context has no sampleToken to serialise (internals changed: check this engine against the new version)');
  let queue: Promise<unknown> = Promise.resolve();
  // The addon's methods are read-only on its prototype: shadow it on the instance.
  Object.defineProperty(addon, 'sampleToken', {
    value: (...args: unknown[]) => {
      const next = queue.then(() => sample.apply(addon, args));
      queue = next.catch(() => undefined);
      return next;
    },
  });
}
