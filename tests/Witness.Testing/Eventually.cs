namespace Witness.Testing;

/// <summary>Waits for work the server does in the background (alerts, deliveries) to become visible.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until it returns a value (fails the test after a minute).</summary>
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up waiting for {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value (fails the test after a minute).</summary>
    public static async Task<T> GetValueAsync<T>(Func<Task<T?>> probe, string what)
        where T : struct
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up waiting for {what}");
            }

            await Task.Delay(50);
        }
    }
}
