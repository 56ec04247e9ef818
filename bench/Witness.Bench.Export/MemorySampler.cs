namespace Witness.Bench.Export;

/// <summary>Samples the GC heap (garbage included) and the working set every 20 ms and keeps the peaks.</summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Timer _timer;
    private readonly Lock _gate = new();

    public MemorySampler() => _timer = new Timer(_ => Sample(), null, 0, 20);

    public long PeakHeap { get; private set; }
    public long PeakWorkingSet { get; private set; }

    public void Stop()
    {
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        Sample();
    }

    private void Sample()
    {
        lock (_gate)
        {
            PeakHeap = Math.Max(PeakHeap, GC.GetTotalMemory(forceFullCollection: false));
            PeakWorkingSet = Math.Max(PeakWorkingSet, Environment.WorkingSet);
        }
    }

    public void Dispose() => _timer.Dispose();
}
