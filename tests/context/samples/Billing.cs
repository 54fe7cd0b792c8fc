using System;
using System.Collections.Generic;

namespace Example.Billing
{
    /// <summary>Bills customers.</summary>
    public class Biller
    {
        /// <summary>The tax rate.</summary>
        public const decimal TaxRate = 0.2m;

        public string Name { get; set; }

        /// <summary>Charges a customer.</summary>
        public decimal Charge(string customer, decimal amount)
        {
            var total = amount * (1 + TaxRate); // BODY_MARKER
            return total;
        }
    }

    /// <summary>A payment gateway.</summary>
    public interface IGateway
    {
        bool Send(decimal amount);
    }

    public enum Status { Open, Paid }

    public record Invoice(string Id, decimal Amount);
}
