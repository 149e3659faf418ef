/**
 * Node 20 lacks `Promise.withResolvers` (added in Node 22), and libp2p v3's
 * utils, yamux, ping and peer store call it — at run time only: importing
 * them does not (checked on Node 20.20 by importing every libp2p module natter
 * uses with the method absent). So the library installs nothing when it is
 * imported; {@link ensurePromiseWithResolvers} installs a spec-conformant
 * polyfill, and `createNatter` / `createNetwork` call it before any libp2p node
 * is created. An embedder that builds and starts its own libp2p node before
 * calling `createNatter` calls it first.
 *
 * @module
 */
interface Resolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

/**
 * Installs `Promise.withResolvers` when the runtime lacks it (Node 20); does
 * nothing on a runtime that has it. Idempotent.
 */
export function ensurePromiseWithResolvers (): void {
  const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
  if (typeof P.withResolvers === 'function') {
    return
  }
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T> (this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve']
      let reject!: Resolvers<T>['reject']
      const promise = new this<T>((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}
