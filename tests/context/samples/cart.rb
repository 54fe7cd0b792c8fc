require "json"

# A shopping cart.
module Shop
  # The largest number of items.
  MAX_ITEMS = 50

  # Holds items for one customer.
  class Cart
    attr_reader :items

    # Starts an empty cart.
    def initialize(owner)
      @owner = owner # BODY_MARKER
      @items = []
    end

    # Adds an item; returns the cart.
    def add(item, quantity: 1)
      @items << [item, quantity] # BODY_MARKER
      self
    end

    # Builds a cart from JSON.
    def self.from_json(text)
      new(JSON.parse(text)) # BODY_MARKER
    end
  end
end
