// Native heap crashes were seen in fresh builds (see docs/serving.md, "Known issues"); their
// probable cause is fixed in TorchRuntime. Until more clean CI runs confirm it, the classes here
// run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
