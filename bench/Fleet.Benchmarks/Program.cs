using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Fleet.Benchmarks.PayloadParsingBenchmarks).Assembly).Run(args);
