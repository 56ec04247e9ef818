namespace Witness.Bench;

internal static class Stats
{
    public static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.Order().ToList();
        var index = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }
}
