"""The broker accounts a deployment trades, one per instrument kind, behind one interface
(`execution.brokers.base.Broker`: submit, order, cancel, fills):

- `trading.accounts.interface`: what a run needs of an account of each kind (`OptionsAccount`
  for options: its time, prices, settlement and listed contracts).
- `trading.accounts.paper`: the paper accounts kept in the store, written through: shares
  (`paper-<deployment id>`) and options (`hedge-<deployment id>`).
- `trading.accounts.alpaca`: the owner's Alpaca account seen as an options account (its shares
  are `execution.brokers.alpaca.AlpacaBroker` itself), and the cash its options moved.
- `trading.accounts.opening`: which account a deployment trades, by its broker and kind.
"""
