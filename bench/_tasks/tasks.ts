// Task module for the W1/W2 benchmarks (imported by pool Workers and child processes).

export function noop(x: number): number {
  return x;
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
