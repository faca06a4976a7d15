// Each cluster test runs three silos and hundreds of devices: one at a time is all two cores take.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
